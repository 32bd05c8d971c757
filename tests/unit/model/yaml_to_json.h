#pragma once
// Test helper: YAML documents -> nlohmann::json. Quoted (and block) scalars are strings; plain
// scalars are null/bool/int/float when they parse as such under the YAML 1.2 core schema, else
// strings. Deliberately independent of model/manifest.cc (its own scalar rules, libyaml events).
#include <nlohmann/json.hpp>
#include <yaml.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace gatehouse::testing {

inline nlohmann::json plainScalar(const std::string& s) {
  static const std::regex kNull("null|Null|NULL|~|");
  static const std::regex kTrue("true|True|TRUE");
  static const std::regex kFalse("false|False|FALSE");
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kOct("0o([0-7]+)");
  static const std::regex kHex("0x([0-9a-fA-F]+)");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  static const std::regex kInf(R"([-+]?\.(inf|Inf|INF))");
  static const std::regex kNan(R"(\.nan|\.NaN|\.NAN)");
  std::smatch m;
  if (std::regex_match(s, kNull)) return nullptr;
  if (std::regex_match(s, kTrue)) return true;
  if (std::regex_match(s, kFalse)) return false;
  try {
    if (std::regex_match(s, kInt)) return std::stoll(s);
    if (std::regex_match(s, m, kOct)) return std::stoll(m[1].str(), nullptr, 8);
    if (std::regex_match(s, m, kHex)) return std::stoll(m[1].str(), nullptr, 16);
  } catch (const std::out_of_range&) {
    // falls through to float
  }
  if (std::regex_match(s, kFloat)) return std::stod(s);
  if (std::regex_match(s, kInf)) {
    return s[0] == '-' ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (std::regex_match(s, kNan)) return std::numeric_limits<double>::quiet_NaN();
  return s;
}

namespace detail {

class Loader {
 public:
  explicit Loader(const std::string& text) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }
  ~Loader() { yaml_parser_delete(&parser_); }
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  std::vector<nlohmann::json> documents() {
    std::vector<nlohmann::json> out;
    for (;;) {
      Event e(parser_);
      if (e.ev.type == YAML_STREAM_END_EVENT) return out;
      if (e.ev.type != YAML_DOCUMENT_START_EVENT) continue;
      anchors_.clear();
      nlohmann::json j = node(Event(parser_).ev);
      Event end(parser_);
      if (!j.is_null()) out.push_back(std::move(j));
    }
  }

 private:
  struct Event {  // the parser's next event
    yaml_event_t ev;
    explicit Event(yaml_parser_t& parser) {
      if (!yaml_parser_parse(&parser, &ev))
        throw std::runtime_error(std::string("YAML: ") + (parser.problem ? parser.problem : "parse error"));
    }
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;
    ~Event() { yaml_event_delete(&ev); }
  };

  static std::string str(const yaml_char_t* s) { return s ? reinterpret_cast<const char*>(s) : ""; }

  nlohmann::json node(const yaml_event_t& e) {
    nlohmann::json out;
    std::string anchor;
    switch (e.type) {
      case YAML_ALIAS_EVENT:
        return anchors_.at(str(e.data.alias.anchor));
      case YAML_SCALAR_EVENT: {
        std::string s(reinterpret_cast<const char*>(e.data.scalar.value), e.data.scalar.length);
        bool plain = !e.data.scalar.tag && e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        out = plain ? plainScalar(s) : nlohmann::json(s);
        anchor = str(e.data.scalar.anchor);
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
        out = nlohmann::json::array();
        anchor = str(e.data.sequence_start.anchor);
        for (;;) {
          Event item(parser_);
          if (item.ev.type == YAML_SEQUENCE_END_EVENT) break;
          out.push_back(node(item.ev));
        }
        break;
      case YAML_MAPPING_START_EVENT:
        out = nlohmann::json::object();
        anchor = str(e.data.mapping_start.anchor);
        for (;;) {
          Event k(parser_);
          if (k.ev.type == YAML_MAPPING_END_EVENT) break;
          nlohmann::json key = node(k.ev);
          Event v(parser_);
          // Keys are their scalar text: `80: x` is the key "80".
          std::string name = k.ev.type == YAML_SCALAR_EVENT
                                 ? std::string(reinterpret_cast<const char*>(k.ev.data.scalar.value), k.ev.data.scalar.length)
                                 : key.is_string() ? key.get<std::string>() : key.dump();
          out[name] = node(v.ev);
        }
        break;
      default:
        throw std::runtime_error("YAML: unexpected event");
    }
    if (!anchor.empty()) anchors_[anchor] = out;
    return out;
  }

  yaml_parser_t parser_;
  std::map<std::string, nlohmann::json> anchors_;
};

}  // namespace detail

// All non-empty documents of a YAML stream.
inline std::vector<nlohmann::json> yamlDocuments(const std::string& text) { return detail::Loader(text).documents(); }

inline std::vector<nlohmann::json> yamlFileDocuments(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  return yamlDocuments(buf.str());
}

}  // namespace gatehouse::testing
