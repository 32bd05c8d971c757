#include "model/schema.h"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <set>

namespace gatehouse::model::schema {

std::string child(const std::string& path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out;
  out.reserve(path.size() + 1 + key.size());
  out.append(path).append(".").append(key);
  return out;
}

std::string index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string mapKey(const std::string& path, std::string_view key) {
  std::string out = path;
  out.append("[").append(key).append("]");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Builder

Schema::Schema(Type type) : node_(std::make_shared<Node>()) { node_->type = type; }

Schema Schema::modified(const std::function<void(Node&)>& f) const {
  Schema copy(*this);
  copy.node_ = std::make_shared<Node>(*node_);
  f(*copy.node_);
  return copy;
}

Schema Schema::def(json value) const {
  return modified([&](Node& n) { n.defaultValue = std::move(value); });
}
Schema Schema::minLen(size_t v) const {
  return modified([&](Node& n) { n.minLength = v; });
}
Schema Schema::maxLen(size_t v) const {
  return modified([&](Node& n) { n.maxLength = v; });
}
Schema Schema::pattern(std::string_view regex) const {
  return modified([&](Node& n) {
    n.pattern = compile(regex);
    n.patternText = std::string(regex);
  });
}
Schema Schema::oneOf(std::initializer_list<json> values) const {
  return modified([&](Node& n) { n.enumValues.assign(values.begin(), values.end()); });
}
Schema Schema::format(Format f) const {
  return modified([&](Node& n) { n.format = f; });
}
Schema Schema::min(int64_t v) const {
  return modified([&](Node& n) { n.minimum = v; });
}
Schema Schema::max(int64_t v) const {
  return modified([&](Node& n) { n.maximum = v; });
}
Schema Schema::minItems(size_t v) const {
  return modified([&](Node& n) { n.minItems = v; });
}
Schema Schema::maxItems(size_t v) const {
  return modified([&](Node& n) { n.maxItems = v; });
}
Schema Schema::set() const {
  return modified([&](Node& n) { n.listType = ListType::Set; });
}
Schema Schema::listMap(std::initializer_list<std::string> keys) const {
  return modified([&](Node& n) {
    n.listType = ListType::Map;
    n.listMapKeys.assign(keys.begin(), keys.end());
  });
}
Schema Schema::required(std::initializer_list<std::string> names) const {
  return modified([&](Node& n) { n.required.assign(names.begin(), names.end()); });
}
Schema Schema::maxProps(size_t v) const {
  return modified([&](Node& n) { n.maxProperties = v; });
}
Schema Schema::preserveUnknown() const {
  return modified([&](Node& n) { n.preserveUnknownFields = true; });
}
Schema Schema::rule(std::function<bool(const json&)> holds, std::string message) const {
  return modified([&](Node& n) { n.rules.push_back({std::move(holds), std::move(message)}); });
}
Schema Schema::check(Check c) const {
  return modified([&](Node& n) { n.checks.push_back(std::move(c)); });
}

Schema Schema::prop(std::string name, const Schema& s) const {
  return modified([&](Node& n) { n.properties.emplace_back(std::move(name), s.ptr()); });
}

Schema Str() { return Schema(Type::String); }
Schema Int() { return Schema(Type::Integer); }
Schema Num() { return Schema(Type::Number); }
Schema Bool() { return Schema(Type::Boolean); }
Schema IntOrStr() { return Schema(Type::IntOrString); }
Schema AnyValue() { return Schema(Type::Any); }

Schema Obj(std::initializer_list<std::pair<std::string, Schema>> properties) {
  Schema s(Type::Object);
  for (const auto& [name, schema] : properties) s.node_->properties.emplace_back(name, schema.ptr());
  return s;
}

Schema Arr(const Schema& items) {
  Schema s(Type::Array);
  s.node_->items = items.ptr();
  return s;
}

Schema MapOf(const Schema& values) {
  Schema s(Type::Map);
  s.node_->values = values.ptr();
  return s;
}

// ---------------------------------------------------------------------------------------------
// Regexes

std::shared_ptr<const re2::RE2> compile(std::string_view regex) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const re2::RE2>, std::less<>> cache;
  std::lock_guard lock(mu);
  if (auto it = cache.find(regex); it != cache.end()) return it->second;
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>(re2::StringPiece(regex.data(), regex.size()), options);
  // A bad pattern is a programming error in the rules below; the unit tests compile them all.
  if (!re->ok()) throw std::invalid_argument("bad regex " + std::string(regex) + ": " + re->error());
  cache.emplace(std::string(regex), re);
  return re;
}

bool partialMatch(const re2::RE2& re, std::string_view text) {
  return re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), re);
}

bool fullMatch(const re2::RE2& re, std::string_view text) {
  return re2::RE2::FullMatch(re2::StringPiece(text.data(), text.size()), re);
}

// ---------------------------------------------------------------------------------------------
// CEL-like accessors

bool has(const json& o, std::string_view key) {
  if (!o.is_object()) return false;
  auto it = o.find(key);
  return it != o.end() && !it->is_null();
}

const std::string& str(const json& o, std::string_view key) {
  static const std::string empty;
  if (!o.is_object()) return empty;
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) return empty;
  return it->get_ref<const std::string&>();
}

const json& arr(const json& o, std::string_view key) {
  static const json empty = json::array();
  if (!o.is_object()) return empty;
  auto it = o.find(key);
  if (it == o.end() || !it->is_array()) return empty;
  return *it;
}

const json& obj(const json& o, std::string_view key) {
  static const json empty = json::object();
  if (!o.is_object()) return empty;
  auto it = o.find(key);
  if (it == o.end() || !it->is_object()) return empty;
  return *it;
}

size_t size(const json& o, std::string_view key) {
  if (!o.is_object()) return 0;
  auto it = o.find(key);
  if (it == o.end()) return 0;
  if (it->is_array() || it->is_object()) return it->size();
  if (it->is_string()) return it->get_ref<const std::string&>().size();
  return 0;
}

bool isIPv4(std::string_view s) {
  if (s.size() > 15) return false;
  std::string z(s);
  unsigned char buf[sizeof(struct in_addr)];
  return inet_pton(AF_INET, z.c_str(), buf) == 1;
}

bool isIPv6(std::string_view s) {
  if (s.size() > 45) return false;
  std::string z(s);
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET6, z.c_str(), buf) == 1;
}

bool isIP(std::string_view s) { return isIPv4(s) || isIPv6(s); }

// ---------------------------------------------------------------------------------------------
// Defaulting (structural defaulting: prune nulls, set missing defaults, recurse)

void applyDefaults(const Node& schema, json& value) {
  switch (schema.type) {
    case Type::Object: {
      if (!value.is_object()) return;
      for (const auto& [name, prop] : schema.properties) {
        auto it = value.find(name);
        if (it != value.end() && it->is_null()) value.erase(it);
        if (prop->defaultValue && !value.contains(name)) value[name] = *prop->defaultValue;
        if (it = value.find(name); it != value.end()) applyDefaults(*prop, *it);
      }
      return;
    }
    case Type::Map:
      if (!value.is_object() || !schema.values) return;
      for (auto& [k, v] : value.items()) applyDefaults(*schema.values, v);
      return;
    case Type::Array:
      if (!value.is_array() || !schema.items) return;
      for (auto& v : value) applyDefaults(*schema.items, v);
      return;
    default:
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Validation: the OpenAPI pass first, then the CEL pass, as the API server reports them.

namespace {

enum class Pass { Schema, Rules };

size_t runeCount(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool isInteger(const json& v) {
  if (v.is_number_integer()) return true;
  if (v.is_number_float()) {
    double d = v.get<double>();
    return d == static_cast<double>(static_cast<int64_t>(d));
  }
  return false;
}

int64_t asInt(const json& v) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    return u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               ? std::numeric_limits<int64_t>::max()
               : static_cast<int64_t>(u);
  }
  if (v.is_number_float()) return static_cast<int64_t>(v.get<double>());
  return v.get<int64_t>();
}

const char* typeName(Type t) {
  switch (t) {
    case Type::Object:
    case Type::Map: return "object";
    case Type::Array: return "array";
    case Type::String: return "string";
    case Type::Integer: return "integer";
    case Type::Number: return "number";
    case Type::Boolean: return "boolean";
    case Type::IntOrString: return "integer or string";
    case Type::Any: break;
  }
  return "any";
}

bool hasType(Type t, const json& v) {
  switch (t) {
    case Type::Object:
    case Type::Map: return v.is_object();
    case Type::Array: return v.is_array();
    case Type::String: return v.is_string();
    case Type::Integer: return isInteger(v);
    case Type::Number: return v.is_number();
    case Type::Boolean: return v.is_boolean();
    case Type::IntOrString: return v.is_string() || isInteger(v);
    case Type::Any: return true;
  }
  return true;
}

std::string listEnum(const std::vector<json>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += values[i].dump();
  }
  return out;
}

void walk(Pass pass, const Node& schema, const json& value, const std::string& path,
          Errors& errors);

void schemaChecks(const Node& schema, const json& value, const std::string& path,
                  Errors& errors) {
  if (!schema.enumValues.empty()) {
    bool found = false;
    for (const auto& e : schema.enumValues) {
      if (e == value) found = true;
    }
    if (!found) {
      errors.add(path, "Unsupported value: " + value.dump() +
                           ": supported values: " + listEnum(schema.enumValues));
    }
  }
  switch (schema.type) {
    case Type::String: {
      const auto& s = value.get_ref<const std::string&>();
      size_t n = runeCount(s);
      if (schema.maxLength && n > *schema.maxLength) {
        errors.add(path, "Too long: may not be more than " + std::to_string(*schema.maxLength) +
                             " bytes");
      }
      if (schema.minLength && n < *schema.minLength) {
        errors.add(path, "should be at least " + std::to_string(*schema.minLength) +
                             " chars long");
      }
      if (schema.pattern && !partialMatch(*schema.pattern, s)) {
        errors.add(path, "should match '" + schema.patternText + "'");
      }
      if (schema.format == Format::IP && !isIP(s)) {
        errors.add(path, "must be of type ipv4 or ipv6");
      }
      return;
    }
    case Type::Integer: {
      int64_t n = asInt(value);
      if (schema.minimum && n < *schema.minimum) {
        errors.add(path, "should be greater than or equal to " + std::to_string(*schema.minimum));
      }
      if (schema.maximum && n > *schema.maximum) {
        errors.add(path, "should be less than or equal to " + std::to_string(*schema.maximum));
      }
      return;
    }
    case Type::Number: {
      const double n = value.get<double>();
      if (schema.minimum && n < static_cast<double>(*schema.minimum)) {
        errors.add(path, "should be greater than or equal to " + std::to_string(*schema.minimum));
      }
      if (schema.maximum && n > static_cast<double>(*schema.maximum)) {
        errors.add(path, "should be less than or equal to " + std::to_string(*schema.maximum));
      }
      return;
    }
    case Type::Array: {
      if (schema.maxItems && value.size() > *schema.maxItems) {
        errors.add(path, "Too many: " + std::to_string(value.size()) + ": must have at most " +
                             std::to_string(*schema.maxItems) + " items");
      }
      if (schema.minItems && value.size() < *schema.minItems) {
        errors.add(path, "should have at least " + std::to_string(*schema.minItems) + " items");
      }
      if (schema.listType == ListType::Set) {
        std::set<std::string> seen;
        for (size_t i = 0; i < value.size(); ++i) {
          if (!seen.insert(value[i].dump()).second) {
            errors.add(index(path, i), "Duplicate value: " + value[i].dump());
          }
        }
      } else if (schema.listType == ListType::Map) {
        std::set<std::string> seen;
        for (size_t i = 0; i < value.size(); ++i) {
          if (!value[i].is_object()) continue;
          json key = json::object();
          for (const auto& k : schema.listMapKeys) {
            key[k] = value[i].contains(k) ? value[i][k] : json(nullptr);
          }
          if (!seen.insert(key.dump()).second) {
            errors.add(index(path, i), "Duplicate value: " + key.dump());
          }
        }
      }
      return;
    }
    case Type::Map:
    case Type::Object:
      if (schema.maxProperties && value.size() > *schema.maxProperties) {
        errors.add(path, "Too many: " + std::to_string(value.size()) + ": must have at most " +
                             std::to_string(*schema.maxProperties) + " items");
      }
      return;
    default:
      return;
  }
}

void walk(Pass pass, const Node& schema, const json& value, const std::string& path,
          Errors& errors) {
  if (!hasType(schema.type, value)) {
    if (pass == Pass::Schema) errors.add(path, std::string("must be of type ") + typeName(schema.type));
    return;
  }
  if (pass == Pass::Schema) schemaChecks(schema, value, path, errors);

  switch (schema.type) {
    case Type::Object: {
      if (pass == Pass::Schema) {
        for (const auto& [key, v] : value.items()) {
          bool known = false;
          for (const auto& p : schema.properties) known = known || p.first == key;
          if (!known && !schema.preserveUnknownFields) errors.add(child(path, key), "unknown field");
        }
        for (const auto& r : schema.required) {
          if (!has(value, r)) errors.add(child(path, r), "Required value");
        }
      }
      for (const auto& [name, prop] : schema.properties) {
        auto it = value.find(name);
        if (it == value.end() || it->is_null()) continue;
        walk(pass, *prop, *it, child(path, name), errors);
      }
      break;
    }
    case Type::Map:
      if (schema.values) {
        for (const auto& [key, v] : value.items()) walk(pass, *schema.values, v, mapKey(path, key), errors);
      }
      break;
    case Type::Array:
      if (schema.items) {
        for (size_t i = 0; i < value.size(); ++i) walk(pass, *schema.items, value[i], index(path, i), errors);
      }
      break;
    default:
      break;
  }

  if (pass == Pass::Rules) {
    for (const auto& r : schema.rules) {
      if (!r.holds(value)) errors.add(path, r.message);
    }
    for (const auto& c : schema.checks) c(value, path, errors);
  }
}

}  // namespace

void validate(const Node& schema, const json& value, const std::string& path, Errors& errors) {
  walk(Pass::Schema, schema, value, path, errors);
  walk(Pass::Rules, schema, value, path, errors);
}

}  // namespace gatehouse::model::schema
