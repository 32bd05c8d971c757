// Gatehouse's policy kinds (gatehouse.dev/v1alpha1) as their CRDs in deploy/crds/ define them;
// keep both in step (tests/unit/model/gatehouse_policy_crd_test.cc checks the CEL messages).
#include "model/duration.h"
#include "model/gateway_api_types.h"
#include "model/kind_schemas.h"
#include "model/object_meta.h"

namespace gatehouse::model::kinds {

using namespace schema;
using namespace gwapi;

namespace {

bool sameTarget(const json& a, const json& b) {
  return str(a, "group") == str(b, "group") && str(a, "kind") == str(b, "kind") && str(a, "name") == str(b, "name") &&
         str(a, "sectionName") == str(b, "sectionName");
}

// A Gateway or a ListenerSet (sectionName: a listener), an HTTPRoute or a GRPCRoute
// (sectionName: a rule), in the policy's namespace.
Schema PolicyTargetRefs() {
  return Arr(Obj({{"group", Str().oneOf({"gateway.networking.k8s.io"})},
                  {"kind", Str().oneOf({"Gateway", "ListenerSet", "HTTPRoute", "GRPCRoute"})},
                  {"name", ObjectName()},
                  {"sectionName", SectionName()}})
                 .required({"group", "kind", "name"}))
      .minItems(1)
      .maxItems(16)
      .rule(
          [](const json& self) {
            for (size_t i = 0; i < self.size(); ++i)
              for (size_t j = i + 1; j < self.size(); ++j)
                if (sameTarget(self[i], self[j])) return false;
            return true;
          },
          "targetRefs must be unique");
}

bool positiveDuration(const json& self, std::string_view key) {
  return parseDurationMs(str(self, key)).value_or(0) > 0;
}

// What a local and a global limit share: `requests` per `window`, bucketed by `key`.
Schema RateLimit() {
  return Obj({{"requests", Int().min(1).max(1000000000)},
              {"window", Duration()},
              {"key", Obj({{"type", Str().oneOf({"Target", "ClientAddress", "Header"}).def("Target")},
                           {"header", HeaderName()}})
                          .rule([](const json& self) { return (str(self, "type") == "Header") == has(self, "header"); },
                                "header must be set when type is Header, and only then")}})
      .required({"requests", "window"})
      .rule([](const json& self) { return positiveDuration(self, "window"); }, "window must be at least 1ms");
}

Schema LocalRateLimit() { return RateLimit().prop("maxKeys", Int().min(1).max(1000000).def(10000)); }

Schema GlobalRateLimit() { return RateLimit().prop("failureMode", Str().oneOf({"Open", "Closed"}).def("Open")); }

Schema Percentage() { return Int().min(0).max(100).def(100); }

// A policy's settings are defaults (GEP-713), which a policy on a more specific target replaces;
// under `overrides` the same settings win over every more specific target's. One or the other.
Schema WithOverrides(const std::vector<std::pair<std::string, Schema>>& fields, const std::string& required) {
  auto any = [fields](const json& self) {
    for (const auto& [name, schema] : fields)
      if (has(self, name)) return true;
    return false;
  };
  Schema spec = Obj({{"targetRefs", PolicyTargetRefs()}}).required({"targetRefs"});
  Schema overrides = Obj({});
  for (const auto& [name, schema] : fields) {
    spec = spec.prop(name, schema);
    overrides = overrides.prop(name, schema);
  }
  return spec.prop("overrides", overrides.rule(any, required))
      .rule([any](const json& self) { return any(self) || has(self, "overrides"); }, required)
      .rule([any](const json& self) { return !(any(self) && has(self, "overrides")); },
            "defaults or overrides: set these either at the top of spec or under spec.overrides, not both");
}

}  // namespace

const Node& rateLimitPolicy() {
  static const Schema s =
      TopLevel(ObjectMeta(NameRule::Dns1123Subdomain),
               WithOverrides({{"local", LocalRateLimit()}, {"global", GlobalRateLimit()}},
                             "a limit is required: set local, global or both"));
  return s.node();
}

const Node& faultInjectionPolicy() {
  static const Schema abort =
      Obj({{"percentage", Percentage()}, {"httpStatus", Int().min(200).max(599)}, {"grpcStatus", Int().min(1).max(16)}})
          .rule([](const json& self) { return has(self, "httpStatus") || has(self, "grpcStatus"); },
                "abort needs httpStatus or grpcStatus");
  static const Schema delay = Obj({{"percentage", Percentage()}, {"fixedDelay", Duration()}})
                                  .required({"fixedDelay"});
  static const Schema s = TopLevel(ObjectMeta(NameRule::Dns1123Subdomain),
                                   WithOverrides({{"abort", abort}, {"delay", delay}},
                                                 "at least one of abort and delay is required"));
  return s.node();
}

}  // namespace gatehouse::model::kinds
