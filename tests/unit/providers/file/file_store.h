#pragma once
// For tests that state their objects as manifest files: a store fed through the file provider's
// decoding and bookkeeping (ManifestFiles), as `gatehouse serve` feeds it.
#include <string>
#include <string_view>

#include "providers/file/manifest_files.h"
#include "store/store.h"

namespace gatehouse::providers {

class FileStore : public store::Store {
 public:
  using store::Store::Store;
  // What writing `text` to `path` does: true if any object changed.
  bool applyFile(const std::string& path, std::string_view text) { return apply(files_.read(path, text)); }
  // What removing `path` does.
  bool removeFile(const std::string& path) { return apply(files_.remove(path)); }

 private:
  ManifestFiles files_;
};

}  // namespace gatehouse::providers
