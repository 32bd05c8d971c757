#include "translator/conditions.h"

namespace gatehouse::translator {

void setCondition(Conditions& conditions, Condition condition) {
  for (auto& c : conditions) {
    if (c.type == condition.type) {
      c = std::move(condition);
      return;
    }
  }
  conditions.push_back(std::move(condition));
}

const Condition* findCondition(const Conditions& conditions, const std::string& type) {
  for (auto& c : conditions)
    if (c.type == type) return &c;
  return nullptr;
}

nlohmann::json toJson(const Conditions& conditions, int64_t observed_generation) {
  auto out = nlohmann::json::array();
  for (auto& c : conditions) {
    out.push_back({{"type", c.type},
                   {"status", c.status ? "True" : "False"},
                   {"reason", c.reason},
                   {"message", c.message},
                   {"observedGeneration", observed_generation}});
  }
  return out;
}

}  // namespace gatehouse::translator
