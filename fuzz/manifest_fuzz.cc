// Fuzzes the manifest path every file of the watched directory takes: YAML/JSON decoding, then
// defaulting and validation of each object, then the file provider's bookkeeping and the store
// (generation, errors). Nothing here may crash or hang on any input; errors are values.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "model/manifest.h"
#include "model/validation.h"
#include "providers/file/manifest_files.h"
#include "store/store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto docs = gatehouse::model::decodeManifests(text);
  if (docs.ok()) {
    for (auto& doc : *docs) {
      auto key = gatehouse::model::objectKeyOf(doc);
      if (!key.ok()) continue;
      gatehouse::model::applyDefaults(key->kind, doc);
      (void)gatehouse::model::validate(key->kind, doc);
    }
  }
  gatehouse::store::Store store([] { return std::string("2026-01-01T00:00:00Z"); });
  gatehouse::providers::ManifestFiles files;
  store.apply(files.read("a.yaml", text));
  store.apply(files.read("a.yaml", text));  // the same content again must change nothing
  store.apply(files.remove("a.yaml"));
  return 0;
}
