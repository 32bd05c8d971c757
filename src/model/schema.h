#pragma once
// A small vocabulary for writing a structural (CRD-style) schema in C++, so that defaulting and
// validation of each kind read like its CRD:
//
//   Obj({{"name", ObjectName()}, {"port", Port()}}).required({"name"})
//       .rule(hasPortForService, "Must have port for Service reference")
//
// A Schema is an immutable tree built once (function-local statics); regexes are compiled when
// the tree is built. applyDefaults()/validate() walk an object against the tree the way the API
// server's structural defaulting and OpenAPI/CEL validation do. CEL rules are C++ predicates on
// the node they are attached to, with the CRD's message.
#include "model/validation.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace re2 {
class RE2;
}

namespace gatehouse::model::schema {

using nlohmann::json;

enum class Type { Any, Object, Map, Array, String, Integer, Number, Boolean, IntOrString };
enum class ListType { Atomic, Set, Map };
enum class Format { None, IP /* ipv4 or ipv6 */, DateTime };

// Collects errors while walking; `path` strings use the API server's notation.
class Errors {
 public:
  void add(std::string field, std::string reason) {
    out_.push_back({std::move(field), std::move(reason)});
  }
  std::vector<FieldError>& list() { return out_; }

 private:
  std::vector<FieldError> out_;
};

std::string child(const std::string& path, std::string_view key);     // a.b
std::string index(const std::string& path, size_t i);                 // a[3]
std::string mapKey(const std::string& path, std::string_view key);    // a[key]

// x-kubernetes-validations: `holds(self)` must be true, else `message` at the node's path.
struct Rule {
  std::function<bool(const json& self)> holds;
  std::string message;
};
// Checks that do not fit the vocabulary (core kinds); they add errors themselves.
using Check = std::function<void(const json& self, const std::string& path, Errors& errors)>;

struct Node;
using NodePtr = std::shared_ptr<const Node>;

struct Node {
  Type type = Type::Any;
  std::optional<json> defaultValue;
  // strings
  std::optional<size_t> minLength, maxLength;
  std::shared_ptr<const re2::RE2> pattern;
  std::string patternText;
  std::vector<json> enumValues;
  Format format = Format::None;
  // integers and numbers
  std::optional<int64_t> minimum, maximum;
  // arrays
  std::optional<size_t> minItems, maxItems;
  NodePtr items;
  ListType listType = ListType::Atomic;
  std::vector<std::string> listMapKeys;
  // objects and maps
  std::vector<std::pair<std::string, NodePtr>> properties;
  std::vector<std::string> required;
  bool preserveUnknownFields = false;
  NodePtr values;  // Map: additionalProperties
  std::optional<size_t> maxProperties;
  // CEL and other checks, run when the value has the right type
  std::vector<Rule> rules;
  std::vector<Check> checks;
};

// Fluent builder; every modifier returns a modified copy, so shared building blocks
// (e.g. `Group()`) can be specialised (`Group().def("")`) without affecting other uses.
class Schema {
 public:
  explicit Schema(Type type);

  Schema def(json value) const;
  Schema minLen(size_t n) const;
  Schema maxLen(size_t n) const;
  Schema pattern(std::string_view regex) const;
  Schema oneOf(std::initializer_list<json> values) const;  // enum
  Schema format(Format f) const;
  Schema min(int64_t n) const;
  Schema max(int64_t n) const;
  Schema minItems(size_t n) const;
  Schema maxItems(size_t n) const;
  Schema set() const;                                        // x-kubernetes-list-type: set
  Schema listMap(std::initializer_list<std::string> keys) const;  // list-type: map
  Schema required(std::initializer_list<std::string> names) const;
  Schema maxProps(size_t n) const;
  Schema preserveUnknown() const;
  Schema rule(std::function<bool(const json&)> holds, std::string message) const;
  Schema check(Check c) const;
  Schema prop(std::string name, const Schema& s) const;  // adds an object property

  const Node& node() const { return *node_; }
  NodePtr ptr() const { return node_; }

 private:
  friend Schema Obj(std::initializer_list<std::pair<std::string, Schema>> properties);
  friend Schema Arr(const Schema& items);
  friend Schema MapOf(const Schema& values);
  Schema modified(const std::function<void(Node&)>& f) const;
  std::shared_ptr<Node> node_;
};

Schema Str();
Schema Int();
Schema Num();  // type: number (an integer is one too)
Schema Bool();
Schema IntOrStr();
Schema AnyValue();
Schema Obj(std::initializer_list<std::pair<std::string, Schema>> properties);
Schema Arr(const Schema& items);
Schema MapOf(const Schema& values);  // object with additionalProperties

// Walkers.
void applyDefaults(const Node& schema, json& value);
void validate(const Node& schema, const json& value, const std::string& path, Errors& errors);

// Compiled once per distinct regex text; thread-safe.
std::shared_ptr<const re2::RE2> compile(std::string_view regex);
bool partialMatch(const re2::RE2& re, std::string_view text);
bool fullMatch(const re2::RE2& re, std::string_view text);

// CEL-like accessors for rule predicates: a missing or mistyped member reads as empty.
bool has(const json& o, std::string_view key);  // present and not null
const std::string& str(const json& o, std::string_view key);
const json& arr(const json& o, std::string_view key);  // empty array when absent
const json& obj(const json& o, std::string_view key);  // empty object when absent
size_t size(const json& o, std::string_view key);      // size of an array/object/string member
bool isIP(std::string_view s);
bool isIPv4(std::string_view s);
bool isIPv6(std::string_view s);

}  // namespace gatehouse::model::schema
