#pragma once
// Status conditions with the spec's types and reasons, verbatim.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gatehouse::translator {

struct Condition {
  std::string type;
  bool status = true;
  std::string reason;
  std::string message;
};

using Conditions = std::vector<Condition>;

// Sets (or replaces) the condition of that type.
void setCondition(Conditions& conditions, Condition condition);
const Condition* findCondition(const Conditions& conditions, const std::string& type);

// JSON form with observedGeneration; lastTransitionTime is filled in by the status writer,
// which knows the previous status.
nlohmann::json toJson(const Conditions& conditions, int64_t observed_generation);

}  // namespace gatehouse::translator
