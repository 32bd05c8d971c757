#include "model/gateway_api_types.h"

namespace gatehouse::model::gwapi {

using namespace schema;

// Patterns verbatim from the CRDs.
constexpr std::string_view kGroupPattern =
    R"re(^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)re";
constexpr std::string_view kKindPattern = R"re(^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$)re";
constexpr std::string_view kNamespacePattern = R"re(^[a-z0-9]([-a-z0-9]*[a-z0-9])?$)re";
constexpr std::string_view kSectionNamePattern =
    R"re(^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)re";
constexpr std::string_view kHostnamePattern =
    R"re(^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)re";
constexpr std::string_view kPreciseHostnamePattern =
    R"re(^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)re";
constexpr std::string_view kHeaderNamePattern = R"re(^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$)re";
constexpr std::string_view kDurationPattern = R"re(^([0-9]{1,5}(h|m|s|ms)){1,4}$)re";

Schema Group() { return Str().maxLen(253).pattern(kGroupPattern); }
Schema Kind() { return Str().minLen(1).maxLen(63).pattern(kKindPattern); }
Schema ObjectName() { return Str().minLen(1).maxLen(253); }
Schema Namespace() { return Str().minLen(1).maxLen(63).pattern(kNamespacePattern); }
Schema SectionName() { return Str().minLen(1).maxLen(253).pattern(kSectionNamePattern); }
Schema PortNumber() { return Int().min(1).max(65535); }
Schema Hostname() { return Str().minLen(1).maxLen(253).pattern(kHostnamePattern); }
Schema PreciseHostname() { return Str().minLen(1).maxLen(253).pattern(kPreciseHostnamePattern); }
Schema HeaderName() { return Str().minLen(1).maxLen(256).pattern(kHeaderNamePattern); }
Schema Duration() { return Str().pattern(kDurationPattern); }

Schema LabelSelector() {
  return Obj({{"matchExpressions",
               Arr(Obj({{"key", Str()}, {"operator", Str()}, {"values", Arr(Str())}})
                       .required({"key", "operator"}))},
              {"matchLabels", MapOf(Str())}});
}

namespace {

// CEL: (!has(p.namespace) || p.namespace == '')
bool emptyOrAbsent(const json& o, std::string_view key) { return str(o, key).empty(); }

// The parent identity used by both parentRefs rules: group, kind, name and namespace, where an
// absent namespace equals an empty one.
bool sameParent(const json& p1, const json& p2) {
  return str(p1, "group") == str(p2, "group") && str(p1, "kind") == str(p2, "kind") &&
         str(p1, "name") == str(p2, "name") &&
         ((emptyOrAbsent(p1, "namespace") && emptyOrAbsent(p2, "namespace")) ||
          (has(p1, "namespace") && has(p2, "namespace") &&
           p1["namespace"] == p2["namespace"]));
}

bool sameSection(const json& p1, const json& p2) {
  return (emptyOrAbsent(p1, "sectionName") && emptyOrAbsent(p2, "sectionName")) ||
         (has(p1, "sectionName") && has(p2, "sectionName") &&
          p1["sectionName"] == p2["sectionName"]);
}

template <typename Pred>
size_t countIf(const json& list, Pred pred) {
  size_t n = 0;
  for (const auto& e : list) n += pred(e) ? 1 : 0;
  return n;
}

}  // namespace

Schema ParentReference() {
  return Obj({{"group", Group().def("gateway.networking.k8s.io")},
              {"kind", Kind().def("Gateway")},
              {"name", ObjectName()},
              {"namespace", Namespace()},
              {"port", PortNumber()},
              {"sectionName", SectionName()}})
      .required({"name"});
}

Schema ParentRefs() {
  return Arr(ParentReference())
      .maxItems(32)
      .rule(
          [](const json& self) {
            for (const auto& p1 : self) {
              for (const auto& p2 : self) {
                if (sameParent(p1, p2) &&
                    emptyOrAbsent(p1, "sectionName") != emptyOrAbsent(p2, "sectionName")) {
                  return false;
                }
              }
            }
            return true;
          },
          "sectionName must be specified when parentRefs includes 2 or more references to the "
          "same parent")
      .rule(
          [](const json& self) {
            for (const auto& p1 : self) {
              if (countIf(self, [&](const json& p2) {
                    return sameParent(p1, p2) && sameSection(p1, p2);
                  }) != 1) {
                return false;
              }
            }
            return true;
          },
          "sectionName must be unique when parentRefs includes 2 or more references to the same "
          "parent");
}

namespace {
// (size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true
bool portForService(const json& self) {
  return !(str(self, "group").empty() && str(self, "kind") == "Service") || has(self, "port");
}
}  // namespace

Schema BackendObjectReference() {
  return Obj({{"group", Group().def("")},
              {"kind", Kind().def("Service")},
              {"name", ObjectName()},
              {"namespace", Namespace()},
              {"port", PortNumber()}})
      .required({"name"})
      .rule(portForService, "Must have port for Service reference");
}

Schema BackendRef() {
  return BackendObjectReference().prop("weight", Int().def(1).min(0).max(1000000));
}

Schema SecretObjectReference() {
  return Obj({{"group", Group().def("")},
              {"kind", Kind().def("Secret")},
              {"name", ObjectName()},
              {"namespace", Namespace()}})
      .required({"name"});
}

Schema ObjectReference() {
  return Obj({{"group", Group()}, {"kind", Kind()}, {"name", ObjectName()}, {"namespace", Namespace()}})
      .required({"group", "kind", "name"});
}

Schema LocalObjectReference() {
  return Obj({{"group", Group()}, {"kind", Kind()}, {"name", ObjectName()}})
      .required({"group", "kind", "name"});
}

Schema ParametersReference() {
  return Obj({{"group", Group()}, {"kind", Kind()}, {"name", ObjectName()}, {"namespace", Namespace()}})
      .required({"group", "kind", "name"});
}

Schema HeaderModifier() {
  auto header = Obj({{"name", HeaderName()}, {"value", Str().minLen(1).maxLen(4096)}})
                    .required({"name", "value"});
  return Obj({{"add", Arr(header).maxItems(16).listMap({"name"})},
              {"remove", Arr(Str()).maxItems(16).set()},
              {"set", Arr(header).maxItems(16).listMap({"name"})}});
}

Schema RequestMirror() {
  auto fraction = Obj({{"denominator", Int().def(100).min(1)}, {"numerator", Int().min(0)}})
                      .required({"numerator"})
                      .rule(
                          [](const json& self) {
                            const json& n = self.value("numerator", json(0));
                            const json& d = self.value("denominator", json(100));
                            return !n.is_number() || !d.is_number() ||
                                   n.get<double>() <= d.get<double>();
                          },
                          "numerator must be less than or equal to denominator");
  return Obj({{"backendRef", BackendObjectReference()},
              {"fraction", fraction},
              {"percent", Int().min(0).max(100)}})
      .required({"backendRef"})
      .rule([](const json& self) { return !(has(self, "percent") && has(self, "fraction")); },
            "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter");
}

Schema HeaderMatch(size_t maxValueLength) {
  return Obj({{"name", HeaderName()},
              {"type", Str().oneOf({"Exact", "RegularExpression"}).def("Exact")},
              {"value", Str().minLen(1).maxLen(maxValueLength)}})
      .required({"name", "value"});
}

Schema RouteRuleName() { return SectionName(); }

Schema RouteHostnames() { return Arr(Hostname()).maxItems(16); }

Schema withFilterUnion(Schema filter,
                       std::initializer_list<std::pair<const char*, const char*>> memberToType) {
  for (const auto& [member, type] : memberToType) {
    std::string m = member;
    std::string t = type;
    filter = filter
                 .rule([m, t](const json& self) { return !(has(self, m) && str(self, "type") != t); },
                       "filter." + m + " must be nil if the filter.type is not " + t)
                 .rule([m, t](const json& self) { return !(!has(self, m) && str(self, "type") == t); },
                       "filter." + m + " must be specified for " + t + " filter.type");
  }
  return filter;
}

Schema notRepeated(Schema filters, const char* type) {
  std::string t = type;
  return filters.rule(
      [t](const json& self) {
        return countIf(self, [&](const json& f) { return str(f, "type") == t; }) <= 1;
      },
      t + " filter cannot be repeated");
}

bool totalMatchesAtMost128(const json& rules) {
  size_t total = 0;
  for (size_t i = 0; i < rules.size() && i < 16; ++i) total += size(rules[i], "matches");
  return total <= 128;
}

}  // namespace gatehouse::model::gwapi
