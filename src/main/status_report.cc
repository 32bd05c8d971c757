#include "main/status_report.h"

#include <cstdio>

namespace gatehouse::main {

using model::Json;

std::string errorLine(const Json& e) {
  std::string where = e["file"].get<std::string>();
  for (const char* k : {"object", "field"})
    if (!e[k].get<std::string>().empty()) where += ": " + e[k].get<std::string>();
  return "error: " + where + ": " + e["reason"].get<std::string>();
}

namespace {

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

}  // namespace

void printStatusLines(const Json& statuses) {
  for (const auto& [name, status] : statuses.items()) {
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
}

}  // namespace gatehouse::main
