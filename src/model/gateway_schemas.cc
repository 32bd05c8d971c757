// GatewayClass, Gateway and ListenerSet, as the v1.6.1 standard CRDs define them:
// ../shared/gateway-api/v1.6.1/crd/standard/gateway.networking.k8s.io_{gatewayclasses,
// gateways,listenersets}.yaml (the served versions share one schema).
#include "model/gateway_api_types.h"
#include "model/kind_schemas.h"
#include "model/object_meta.h"

#include <re2/re2.h>

namespace gatehouse::model::kinds {

using namespace schema;
using namespace gwapi;

Schema TopLevel(Schema metadata, Schema spec, bool specRequired, json statusDefault) {
  Schema status = AnyValue();
  if (!statusDefault.is_null()) status = status.def(std::move(statusDefault));
  Schema top = Obj({{"apiVersion", Str()},
                    {"kind", Str()},
                    {"metadata", std::move(metadata)},
                    {"spec", std::move(spec)},
                    {"status", status}});
  return specRequired ? top.required({"spec"}) : top;
}

namespace {

json pendingConditions(std::initializer_list<const char*> types) {
  json conditions = json::array();
  for (const char* type : types) {
    conditions.push_back({{"lastTransitionTime", "1970-01-01T00:00:00Z"},
                          {"message", "Waiting for controller"},
                          {"reason", "Pending"},
                          {"status", "Unknown"},
                          {"type", type}});
  }
  return {{"conditions", conditions}};
}

template <typename Pred>
bool all(const json& list, Pred pred) {
  for (const auto& e : list) {
    if (!pred(e)) return false;
  }
  return true;
}

template <typename Pred>
size_t countIf(const json& list, Pred pred) {
  size_t n = 0;
  for (const auto& e : list) n += pred(e) ? 1 : 0;
  return n;
}

bool in(const std::string& s, std::initializer_list<std::string_view> set) {
  for (auto v : set) {
    if (s == v) return true;
  }
  return false;
}

// (has(l1.hostname) && has(l2.hostname) ? l1.hostname == l2.hostname
//                                       : !has(l1.hostname) && !has(l2.hostname))
bool sameHostname(const json& l1, const json& l2) {
  if (has(l1, "hostname") && has(l2, "hostname")) return l1["hostname"] == l2["hostname"];
  return !has(l1, "hostname") && !has(l2, "hostname");
}

// GatewayTLSConfig / ListenerTLSConfig pieces.
Schema ListenerTLSConfig() {
  return Obj({{"certificateRefs", Arr(SecretObjectReference()).maxItems(64)},
              {"mode", Str().oneOf({"Terminate", "Passthrough"}).def("Terminate")},
              {"options", MapOf(Str().minLen(0).maxLen(4096)).maxProps(16)}})
      .rule(
          // size() of an absent member is a CEL error, which also rejects the object.
          [](const json& self) {
            return str(self, "mode") != "Terminate" || size(self, "certificateRefs") > 0 ||
                   size(self, "options") > 0;
          },
          "certificateRefs or options must be specified when mode is Terminate");
}

Schema AllowedRoutes() {
  auto kinds = Obj({{"group", Group().def("gateway.networking.k8s.io")}, {"kind", Kind()}})
                   .required({"kind"});
  auto namespaces = Obj({{"from", Str().oneOf({"All", "Selector", "Same"}).def("Same")},
                         {"selector", LabelSelector()}})
                        .def({{"from", "Same"}});
  return Obj({{"kinds", Arr(kinds).maxItems(8)}, {"namespaces", namespaces}})
      .def({{"namespaces", {{"from", "Same"}}}});
}

Schema Listener() {
  return Obj({{"allowedRoutes", AllowedRoutes()},
              {"hostname", Hostname()},
              {"name", SectionName()},
              {"port", PortNumber()},
              {"protocol",
               Str().minLen(1).maxLen(255).pattern(
                   R"re(^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$)re")},
              {"tls", ListenerTLSConfig()}})
      .required({"name", "port", "protocol"});
}

// List rules run on every element, also on those of the wrong type (reported separately).
json portOf(const json& item) { return item.is_object() ? item.value("port", json()) : json(); }

// The listener list rules shared by Gateway and ListenerSet; `portOptional` is ListenerSet's
// variant of the port/protocol/hostname uniqueness rule.
Schema Listeners(bool portOptional) {
  auto uniqueCombination = [portOptional](const json& self) {
    return all(self, [&](const json& l1) {
      if (portOptional && !has(l1, "port")) return true;
      return countIf(self, [&](const json& l2) {
               if (portOptional && !has(l2, "port")) return false;
               return portOf(l1) == portOf(l2) &&
                      str(l1, "protocol") == str(l2, "protocol") && sameHostname(l1, l2);
             }) == 1;
    });
  };
  return Arr(Listener())
      .minItems(1)
      .maxItems(64)
      .listMap({"name"})
      .rule(
          [](const json& self) {
            return all(self, [](const json& l) {
              return !in(str(l, "protocol"), {"HTTP", "TCP", "UDP"}) || !has(l, "tls");
            });
          },
          "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']")
      .rule(
          [](const json& self) {
            return all(self, [](const json& l) {
              if (!(str(l, "protocol") == "HTTPS" && has(l, "tls"))) return true;
              const auto& mode = str(l["tls"], "mode");
              return mode.empty() || mode == "Terminate";
            });
          },
          "tls mode must be Terminate for protocol HTTPS")
      .rule(
          [](const json& self) {
            return all(self, [](const json& l) {
              return str(l, "protocol") != "TLS" ||
                     (has(l, "tls") && has(l["tls"], "mode") && !str(l["tls"], "mode").empty());
            });
          },
          "tls mode must be set for protocol TLS")
      .rule(
          [](const json& self) {
            return all(self, [](const json& l) {
              return !in(str(l, "protocol"), {"TCP", "UDP"}) || str(l, "hostname").empty();
            });
          },
          "hostname must not be specified for protocols ['TCP', 'UDP']")
      .rule(
          [](const json& self) {
            return all(self, [&](const json& l1) {
              return countIf(self, [&](const json& l2) {
                       return str(l1, "name") == str(l2, "name");
                     }) == 1;
            });
          },
          "Listener name must be unique within the Gateway")
      .rule(uniqueCombination,
            "Combination of port, protocol and hostname must be unique for each listener");
}

Schema FrontendTLSValidation() {
  return Obj({{"caCertificateRefs", Arr(ObjectReference()).minItems(1).maxItems(16)},
              {"mode", Str().oneOf({"AllowValidOnly", "AllowInsecureFallback"}).def("AllowValidOnly")}})
      .required({"caCertificateRefs"});
}

Schema GatewayTLSConfig() {
  auto perPort = Obj({{"port", PortNumber()}, {"tls", Obj({{"validation", FrontendTLSValidation()}})}})
                     .required({"port", "tls"});
  auto frontend =
      Obj({{"default", Obj({{"validation", FrontendTLSValidation()}})},
           {"perPort",
            Arr(perPort).maxItems(64).listMap({"port"}).rule(
                [](const json& self) {
                  return all(self, [&](const json& t1) {
                    return countIf(self, [&](const json& t2) {
                             return portOf(t1) == portOf(t2);
                           }) == 1;
                  });
                },
                "Port for TLS configuration must be unique within the Gateway")}})
          .required({"default"});
  return Obj({{"backend", Obj({{"clientCertificateRef", SecretObjectReference()}})},
              {"frontend", frontend}});
}

constexpr std::string_view kInfraKeyPattern =
    R"re(^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$)re";

// self.all(key, key.matches(...)) and self.all(key, key.split("/")[0].size() < 253)
Schema InfrastructureMap(Schema values, size_t maxProps, const char* what) {
  auto re = compile(kInfraKeyPattern);
  std::string w = what;
  return MapOf(std::move(values))
      .maxProps(maxProps)
      .rule(
          [re](const json& self) {
            for (const auto& [key, v] : self.items()) {
              if (!partialMatch(*re, key)) return false;
            }
            return true;
          },
          w + " keys must be in the form of an optional DNS subdomain prefix followed by a "
              "required name segment of up to 63 characters.")
      .rule(
          [](const json& self) {
            for (const auto& [key, v] : self.items()) {
              if (key.substr(0, key.find('/')).size() >= 253) return false;
            }
            return true;
          },
          "If specified, the " + std::string(w == "Label" ? "label" : "annotation") +
              " key's prefix must be a DNS subdomain not longer than 253 characters in total.");
}

Schema GatewayInfrastructure() {
  return Obj({{"annotations", InfrastructureMap(Str().minLen(0).maxLen(4096), 16, "Annotation")},
              {"labels",
               InfrastructureMap(
                   Str().minLen(0).maxLen(63).pattern(R"re(^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$)re"),
                   8, "Label")},
              {"parametersRef", LocalObjectReference()}});
}

constexpr std::string_view kAddressHostnamePattern =
    R"re(^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)re";

Schema GatewayAddress() {
  auto hostname = compile(kAddressHostnamePattern);
  return Obj({{"type",
               Str().def("IPAddress").minLen(1).maxLen(253).pattern(
                   R"re(^Hostname|IPAddress|NamedAddress|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$)re")},
              {"value", Str().maxLen(253)}})
      // oneOf: [{type: IPAddress, value: ipv4|ipv6}, {type: not IPAddress}]
      .check([](const json& self, const std::string& path, Errors& errors) {
        if (str(self, "type") == "IPAddress" && has(self, "value") && self["value"].is_string() &&
            !isIP(str(self, "value"))) {
          errors.add(child(path, "value"), "must be of type ipv4 or ipv6");
        }
      })
      .rule(
          [hostname](const json& self) {
            return str(self, "type") != "Hostname" || !has(self, "value") ||
                   partialMatch(*hostname, str(self, "value"));
          },
          "Hostname value must be empty or contain only valid characters (matching "
          "^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)");
}

bool uniqueAddressValues(const json& self, const std::string& type) {
  return all(self, [&](const json& a1) {
    if (!(str(a1, "type") == type && has(a1, "value"))) return true;
    return countIf(self, [&](const json& a2) {
             return str(a2, "type") == str(a1, "type") && has(a2, "value") && a2["value"] == a1["value"];
           }) == 1;
  });
}

}  // namespace

const Node& gatewayClass() {
  static const Schema s = TopLevel(
      ObjectMeta(NameRule::Dns1123Subdomain),
      Obj({{"controllerName",
            // CEL `self == oldSelf` (immutable) only applies to updates.
            Str().minLen(1).maxLen(253).pattern(
                R"re(^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$)re")},
           {"description", Str().maxLen(64)},
           {"parametersRef", ParametersReference()}})
          .required({"controllerName"}),
      true, pendingConditions({"Accepted"}));
  return s.node();
}

const Node& gateway() {
  static const Schema s = TopLevel(
      ObjectMeta(NameRule::Dns1123Subdomain),
      Obj({{"addresses",
            Arr(GatewayAddress())
                .maxItems(16)
                .rule([](const json& self) { return uniqueAddressValues(self, "IPAddress"); },
                      "IPAddress values must be unique")
                .rule([](const json& self) { return uniqueAddressValues(self, "Hostname"); },
                      "Hostname values must be unique")},
           {"allowedListeners",
            Obj({{"namespaces",
                  Obj({{"from", Str().oneOf({"All", "Selector", "Same", "None"}).def("None")},
                       {"selector", LabelSelector()}})
                      .def({{"from", "None"}})}})},
           {"gatewayClassName", Str().minLen(1).maxLen(253)},
           {"infrastructure", GatewayInfrastructure()},
           {"listeners", Listeners(/*portOptional=*/false)},
           {"tls", GatewayTLSConfig()}})
          .required({"gatewayClassName", "listeners"}),
      true, pendingConditions({"Accepted", "Programmed"}));
  return s.node();
}

const Node& listenerSet() {
  static const Schema s = TopLevel(
      ObjectMeta(NameRule::Dns1123Subdomain),
      Obj({{"listeners", Listeners(/*portOptional=*/true)},
           {"parentRef",
            Obj({{"group", Group().def("gateway.networking.k8s.io")},
                 {"kind", Kind().def("Gateway")},
                 {"name", ObjectName()},
                 {"namespace", Namespace()}})
                .required({"name"})}})
          .required({"listeners", "parentRef"}),
      true, pendingConditions({"Accepted", "Programmed"}));
  return s.node();
}

}  // namespace gatehouse::model::kinds
