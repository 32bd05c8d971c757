#include <cstdio>
#include <filesystem>

#include "main/commands.h"
#include "main/features.h"
#include "main/offline.h"

namespace gatehouse::main {

int validate(const ValidateFlags& flags) {
  if (!std::filesystem::is_directory(flags.dir)) {
    std::fprintf(stderr, "validate: %s is not a directory\n", flags.dir.c_str());
    return 2;
  }
  translator::Options options{flags.controller_name, flags.address_pool, supportedFeatures()};
  auto files = providers::DirectoryWatcher(flags.dir).scan();
  auto result = translateFiles(files, options, store::nowRfc3339);
  for (const auto& e : result.problems) {
    std::fprintf(stderr, "not accepted: %s: %s: %s: %s\n", e["file"].get<std::string>().c_str(),
                 e["object"].get<std::string>().c_str(), e["field"].get<std::string>().c_str(),
                 e["reason"].get<std::string>().c_str());
  }
  for (const auto& e : result.errors) {
    std::string where = e["file"].get<std::string>();
    for (const char* k : {"object", "field"})
      if (!e[k].get<std::string>().empty()) where += ": " + e[k].get<std::string>();
    std::fprintf(stderr, "error: %s: %s\n", where.c_str(), e["reason"].get<std::string>().c_str());
  }
  model::Json report = {{"statuses", result.statuses}};
  std::printf("%s\n", report.dump(2).c_str());
  std::fprintf(stderr, "%zu files, %zu errors, %s\n", files.size(), result.errors.size(),
               result.all_accepted ? "everything accepted" : "something is not accepted (see statuses)");
  return result.all_accepted ? 0 : 1;
}

}  // namespace gatehouse::main
