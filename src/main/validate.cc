#include <cstdio>
#include <filesystem>
#include <string>

#include "main/commands.h"
#include "main/features.h"
#include "main/offline.h"
#include "main/status_report.h"
#include "model/yaml_writer.h"

namespace gatehouse::main {

using model::Json;

namespace {

// The object lines, then every error, then a count.
void printSummary(const OfflineResult& result, size_t files) {
  printStatusLines(result.statuses);
  for (const auto& e : result.errors) std::printf("%s\n", errorLine(e).c_str());
  std::printf("%zu files, %zu errors, %s\n", files, result.errors.size(),
              result.all_accepted ? "everything accepted" : "something is not accepted");
}

}  // namespace

int validate(const ValidateFlags& flags) {
  if (!std::filesystem::is_directory(flags.dir)) {
    std::fprintf(stderr, "validate: %s is not a directory\n", flags.dir.c_str());
    return 2;
  }
  translator::Options options{flags.controller_name, flags.address_pool, supportedFeatures()};
  auto files = providers::DirectoryWatcher(flags.dir).scan();
  auto result = translateFiles(files, options, store::nowRfc3339);
  if (flags.output == "text") {
    printSummary(result, files.size());
    return result.all_accepted ? 0 : 1;
  }
  for (const auto& e : result.problems) {
    std::fprintf(stderr, "not accepted: %s: %s: %s: %s\n", e["file"].get<std::string>().c_str(),
                 e["object"].get<std::string>().c_str(), e["field"].get<std::string>().c_str(),
                 e["reason"].get<std::string>().c_str());
  }
  for (const auto& e : result.errors) std::fprintf(stderr, "%s\n", errorLine(e).c_str());
  model::Json report = {{"statuses", result.statuses}};
  if (flags.output == "yaml") {
    std::printf("%s", model::toYaml(report).c_str());
  } else {
    std::printf("%s\n", report.dump(2).c_str());
  }
  std::fprintf(stderr, "%zu files, %zu errors, %s\n", files.size(), result.errors.size(),
               result.all_accepted ? "everything accepted" : "something is not accepted (see statuses)");
  return result.all_accepted ? 0 : 1;
}

}  // namespace gatehouse::main
