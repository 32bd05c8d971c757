#pragma once
// Shared helpers for the validation tests: objects written as YAML, and rejection cases written
// as a valid base object plus JSON-pointer edits and the exact errors they must produce.
#include "model/validation.h"
#include "yaml_to_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace gatehouse::model::testing {

using nlohmann::json;

inline json yaml(const std::string& text) { return gatehouse::testing::yamlDocuments(text).at(0); }

// A `json` value meaning "remove this member" in an edit.
inline json removed() { return json::value_t::discarded; }

struct Edit {
  std::string pointer;  // RFC 6901, e.g. "/spec/listeners/0/port"
  json value;           // removed() to erase
};

inline json edited(json object, const std::vector<Edit>& edits) {
  for (const auto& e : edits) {
    json::json_pointer p(e.pointer);
    if (e.value.is_discarded()) {
      object.at(p.parent_pointer()).erase(p.back());
    } else {
      object[p] = e.value;
    }
  }
  return object;
}

// One rejection: edits to the kind's valid base object and the exact errors expected.
struct Case {
  std::string name;
  std::vector<Edit> edits;
  std::vector<FieldError> want;
};

inline void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

inline std::string caseName(const ::testing::TestParamInfo<Case>& info) { return info.param.name; }

inline std::vector<FieldError> errorsOf(std::string_view kind, const json& object) {
  return validate(kind, object);
}

inline json defaulted(std::string_view kind, json object) {
  applyDefaults(kind, object);
  return object;
}

}  // namespace gatehouse::model::testing
