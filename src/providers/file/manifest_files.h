#pragma once
// What the file provider knows that the store does not: files. Decodes a file into objects and
// remembers which objects each file defines, so that a rewritten file deletes the objects it no
// longer holds, a removed file deletes all of its objects, and an unreadable file keeps them.
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "providers/file/directory_watcher.h"
#include "store/store.h"

namespace gatehouse::providers {

class ManifestFiles {
 public:
  // The store update that makes the store hold what `text` defines for `path` now.
  store::SourceUpdate read(const std::string& path, std::string_view text);
  // The store update that deletes every object `path` defined.
  store::SourceUpdate remove(const std::string& path);
  // A batch, in order: decoding depends on a file's text alone, so a batch of 64 files or more
  // is decoded on every core.
  std::vector<store::SourceUpdate> read(std::vector<FileChange> changes);
  // The files read before (readable or not) that `listing` does not name.
  std::vector<std::string> pathsNotIn(const std::vector<FileChange>& listing) const;

 private:
  struct Decoded {
    store::SourceUpdate update;  // the file's objects and the errors found decoding it
    bool readable = true;        // false: not a manifest at all (the update has only the error)
  };
  static Decoded decode(const std::string& path, std::string_view text);  // thread-safe
  // Records which objects the file now holds and deletes those it held before and no longer
  // does; an unreadable file keeps its objects.
  store::SourceUpdate track(Decoded decoded);

  std::map<std::string, std::set<model::ObjectKey>> held_;  // by path; every file read has an entry
};

}  // namespace gatehouse::providers
