#include <cstdio>
#include <filesystem>
#include <string>

#include "main/commands.h"
#include "main/features.h"
#include "main/offline.h"

namespace gatehouse::main {

using model::Json;

namespace {

// Block-style YAML; scalars are written as JSON, which YAML reads the same (strings double-quoted).
void appendYaml(const Json& value, int indent, std::string& out) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  auto scalarOrEmpty = [](const Json& v) { return !v.is_structured() || v.empty(); };
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      out += pad + Json(key).dump() + ":";
      if (scalarOrEmpty(item)) {
        out += " " + item.dump() + "\n";
      } else {
        out += "\n";
        appendYaml(item, indent + 2, out);
      }
    }
  } else if (value.is_array()) {
    for (const auto& item : value) {
      if (scalarOrEmpty(item)) {
        out += pad + "- " + item.dump() + "\n";
      } else {
        // The item's first line goes after "- ", the rest under it.
        std::string nested;
        appendYaml(item, indent + 2, nested);
        out += pad + "- " + nested.substr(static_cast<size_t>(indent) + 2);
      }
    }
  } else {
    out += pad + value.dump() + "\n";
  }
}

// "error: FILE: OBJECT: FIELD: REASON" (object and field when known).
std::string errorLine(const Json& e) {
  std::string where = e["file"].get<std::string>();
  for (const char* k : {"object", "field"})
    if (!e[k].get<std::string>().empty()) where += ": " + e[k].get<std::string>();
  return "error: " + where + ": " + e["reason"].get<std::string>();
}

// "Accepted" when True, else "Accepted False (Reason: message)"; the types a reader checks first.
std::string conditionSummary(const Json& conditions) {
  std::string out;
  for (const char* type : {"Accepted", "Programmed", "ResolvedRefs", "gatehouse.dev/Shadowed"}) {
    for (const auto& c : conditions) {
      if (c.value("type", "") != type) continue;
      const bool is_true = c.value("status", "") == "True";
      std::string text;
      if (std::string(type) == "gatehouse.dev/Shadowed") {
        if (!is_true) continue;
        text = "Shadowed (" + c.value("message", "") + ")";
      } else {
        text = is_true ? type : std::string(type) + " " + c.value("status", "") + " (" + c.value("reason", "") + ": " +
                                    c.value("message", "") + ")";
      }
      out += (out.empty() ? "" : ", ") + text;
    }
  }
  return out.empty() ? "no conditions" : out;
}

// One line per object (a route's parents, a policy's ancestors on it), then one per listener of
// a Gateway.
void printSummary(const OfflineResult& result, size_t files) {
  for (const auto& [name, status] : result.statuses.items()) {
    const bool policy = status.contains("ancestors");
    if (status.contains("parents") || policy) {
      std::string parents;
      for (const auto& p : status[policy ? "ancestors" : "parents"]) {
        const Json ref = p.value(policy ? "ancestorRef" : "parentRef", Json::object());
        std::string parent = ref.value("kind", "") + " " + ref.value("namespace", "") + "/" + ref.value("name", "");
        if (ref.contains("sectionName")) parent += " sectionName " + ref["sectionName"].get<std::string>();
        parents += (parents.empty() ? "" : "; ") + parent + ": " +
                   conditionSummary(p.value("conditions", Json::array()));
      }
      std::printf("%s: %s\n", name.c_str(), parents.empty() ? "no parents" : parents.c_str());
      continue;
    }
    std::printf("%s: %s\n", name.c_str(), conditionSummary(status.value("conditions", Json::array())).c_str());
    for (const auto& l : status.value("listeners", Json::array()))
      std::printf("  listener %s: %s; %lld routes\n", l.value("name", "").c_str(),
                  conditionSummary(l.value("conditions", Json::array())).c_str(),
                  static_cast<long long>(l.value("attachedRoutes", 0)));
  }
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
    std::string yaml;
    appendYaml(report, 0, yaml);
    std::printf("%s", yaml.c_str());
  } else {
    std::printf("%s\n", report.dump(2).c_str());
  }
  std::fprintf(stderr, "%zu files, %zu errors, %s\n", files.size(), result.errors.size(),
               result.all_accepted ? "everything accepted" : "something is not accepted (see statuses)");
  return result.all_accepted ? 0 : 1;
}

}  // namespace gatehouse::main
