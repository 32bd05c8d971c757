#include "model/object_meta.h"

#include <re2/re2.h>

#include <cctype>

namespace gatehouse::model {

using namespace schema;

namespace {

constexpr std::string_view kDns1123SubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
constexpr std::string_view kDns1123LabelMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
constexpr std::string_view kDns1035LabelMsg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
constexpr std::string_view kQualifiedNameMsg =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
constexpr std::string_view kLabelValueMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value', "
    " or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

const re2::RE2& dns1123Subdomain() {
  static const auto re = compile(R"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)");
  return *re;
}
const re2::RE2& dns1123Label() {
  static const auto re = compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  return *re;
}
const re2::RE2& dns1035Label() {
  static const auto re = compile("[a-z]([-a-z0-9]*[a-z0-9])?");
  return *re;
}
const re2::RE2& qualifiedNamePart() {
  static const auto re = compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
  return *re;
}
const re2::RE2& ianaSvcName() {
  static const auto re = compile("[-a-z0-9]+");
  return *re;
}

}  // namespace

std::string checkDns1123Subdomain(std::string_view s) {
  if (s.size() > 253) return "must be no more than 253 characters";
  if (!fullMatch(dns1123Subdomain(), s)) return std::string(kDns1123SubdomainMsg);
  return {};
}

std::string checkDns1123Label(std::string_view s) {
  if (s.size() > 63) return "must be no more than 63 characters";
  if (!fullMatch(dns1123Label(), s)) return std::string(kDns1123LabelMsg);
  return {};
}

std::string checkDns1035Label(std::string_view s) {
  if (s.size() > 63) return "must be no more than 63 characters";
  if (!fullMatch(dns1035Label(), s)) return std::string(kDns1035LabelMsg);
  return {};
}

std::string checkQualifiedName(std::string_view s) {
  std::string_view name = s;
  auto slash = s.find('/');
  if (slash != std::string_view::npos) {
    if (s.find('/', slash + 1) != std::string_view::npos) {
      return std::string("a qualified name ") + std::string(kQualifiedNameMsg).substr(10) +
             " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
    }
    std::string_view prefix = s.substr(0, slash);
    name = s.substr(slash + 1);
    if (prefix.empty()) return "prefix part must be non-empty";
    if (auto m = checkDns1123Subdomain(prefix); !m.empty()) return "prefix part " + m;
  }
  if (name.empty()) return "name part must be non-empty";
  if (name.size() > 63) return "name part must be no more than 63 characters";
  if (!fullMatch(qualifiedNamePart(), name)) return std::string(kQualifiedNameMsg);
  return {};
}

std::string checkLabelValue(std::string_view s) {
  if (s.size() > 63) return "must be no more than 63 characters";
  if (!s.empty() && !fullMatch(qualifiedNamePart(), s)) return std::string(kLabelValueMsg);
  return {};
}

std::string checkIanaSvcName(std::string_view s) {
  if (s.size() > 15) return "must be no more than 15 characters";
  if (!fullMatch(ianaSvcName(), s)) {
    return "must contain only lowercase alphanumeric characters or '-' (e.g. 'http')";
  }
  bool letter = false;
  for (char c : s) letter = letter || (c >= 'a' && c <= 'z');
  if (!letter) return "must contain at least one letter (a-z)";
  if (s.front() == '-' || s.back() == '-') return "must not begin or end with a hyphen";
  if (s.find("--") != std::string_view::npos) return "must not contain consecutive hyphens";
  return {};
}

Schema Labels() {
  return MapOf(Str()).check([](const json& self, const std::string& path, Errors& errors) {
    for (const auto& [key, value] : self.items()) {
      if (auto m = checkQualifiedName(key); !m.empty()) errors.add(mapKey(path, key), m);
      if (value.is_string()) {
        if (auto m = checkLabelValue(value.get_ref<const std::string&>()); !m.empty()) {
          errors.add(mapKey(path, key), m);
        }
      }
    }
  });
}

Schema ObjectMeta(NameRule rule) {
  auto ownerReference = Obj({{"apiVersion", Str()},
                             {"kind", Str()},
                             {"name", Str()},
                             {"uid", Str()},
                             {"controller", Bool()},
                             {"blockOwnerDeletion", Bool()}})
                            .required({"apiVersion", "kind", "name", "uid"});
  return Obj({{"name", Str()},
              {"generateName", Str()},
              {"namespace", Str()},
              {"selfLink", Str()},
              {"uid", Str()},
              {"resourceVersion", Str()},
              {"generation", Int()},
              {"creationTimestamp", Str()},
              {"deletionTimestamp", Str()},
              {"deletionGracePeriodSeconds", Int()},
              {"labels", Labels()},
              {"annotations", MapOf(Str())},
              {"ownerReferences", Arr(ownerReference)},
              {"finalizers", Arr(Str())},
              {"managedFields", Arr(AnyValue())}})
      .check([rule](const json& self, const std::string& path, Errors& errors) {
        // Standalone mode has nobody to generate a name, so name itself is required.
        if (!has(self, "name")) {
          errors.add(child(path, "name"), "Required value: name or generateName is required");
        } else if (self["name"].is_string()) {
          const auto& name = str(self, "name");
          std::string m = rule == NameRule::Dns1123Label    ? checkDns1123Label(name)
                          : rule == NameRule::Dns1035Label ? checkDns1035Label(name)
                                                           : checkDns1123Subdomain(name);
          if (!m.empty()) errors.add(child(path, "name"), m);
        }
        if (has(self, "namespace") && self["namespace"].is_string()) {
          if (auto m = checkDns1123Label(str(self, "namespace")); !m.empty()) {
            errors.add(child(path, "namespace"), m);
          }
        }
        const json& annotations = obj(self, "annotations");
        size_t total = 0;
        for (const auto& [key, value] : annotations.items()) {
          std::string lower = key;
          for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (auto m = checkQualifiedName(lower); !m.empty()) {
            errors.add(mapKey(child(path, "annotations"), key), m);
          }
          total += key.size() + (value.is_string() ? value.get_ref<const std::string&>().size() : 0);
        }
        if (total > 256 * 1024) {
          errors.add(child(path, "annotations"), "Too long: must have at most 262144 bytes");
        }
        for (size_t i = 0; i < size(self, "finalizers"); ++i) {
          const json& f = arr(self, "finalizers")[i];
          if (!f.is_string()) continue;
          if (auto m = checkQualifiedName(f.get_ref<const std::string&>()); !m.empty()) {
            errors.add(index(child(path, "finalizers"), i), m);
          }
        }
      });
}

}  // namespace gatehouse::model
