// Core kinds Gatehouse reads, with the basic checks and defaults of the API server
// (k8s.io/kubernetes/pkg/apis/core/validation, pkg/apis/discovery/validation, core/v1 defaults):
// Namespace, Service, EndpointSlice (discovery.k8s.io/v1), Secret, ConfigMap.
#include "model/base64.h"
#include "model/core_defaults.h"
#include "model/kind_schemas.h"
#include "model/object_meta.h"

#include <re2/re2.h>

#include <set>

namespace gatehouse::model {

using namespace schema;

namespace {

constexpr std::string_view kBase64Chars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kBase64Chars[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += kBase64Chars[(v >> 18) & 63];
    out += kBase64Chars[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kBase64Chars[(v >> 18) & 63];
    out += kBase64Chars[(v >> 12) & 63];
    out += kBase64Chars[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

constexpr std::string_view kConfigKeyMsg =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
    "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

std::string checkConfigKey(const std::string& key) {
  static const auto re = compile("[-._a-zA-Z0-9]+");
  if (key.size() > 253) return "must be no more than 253 characters";
  if (!fullMatch(*re, key)) return std::string(kConfigKeyMsg);
  if (key == ".") return "must not be '.'";
  if (key == "..") return "must not be '..'";
  if (key.rfind("..", 0) == 0) return "must not start with '..'";
  return {};
}

// data-like maps: keys are config keys; with `base64` the values must decode.
Check configMapData(bool base64) {
  return [base64](const json& self, const std::string& path, Errors& errors) {
    for (const auto& [key, value] : self.items()) {
      if (auto m = checkConfigKey(key); !m.empty()) errors.add(mapKey(path, key), m);
      if (base64 && value.is_string()) {
        auto decoded = base64Decode(value.get_ref<const std::string&>());
        if (!decoded) errors.add(mapKey(path, key), decoded.error().message);
      }
    }
  };
}

size_t dataSize(const json& map, bool base64) {
  size_t total = 0;
  for (const auto& [key, value] : map.items()) {
    if (!value.is_string()) continue;
    const auto& s = value.get_ref<const std::string&>();
    if (base64) {
      auto decoded = base64Decode(s);
      total += decoded ? decoded->size() : 0;
    } else {
      total += s.size();
    }
  }
  return total;
}

constexpr size_t kMaxSecretSize = 1024 * 1024;

Schema Protocol() { return Str().oneOf({"TCP", "UDP", "SCTP"}).def("TCP"); }

// ---------------------------------------------------------------------------------------------
// Service

Schema ServicePort() {
  return Obj({{"name", Str()},
              {"protocol", Protocol()},
              {"appProtocol", Str()},
              {"port", Int()},
              {"targetPort", IntOrStr()},
              {"nodePort", Int()}})
      .required({"port"})
      .check([](const json& self, const std::string& path, Errors& errors) {
        auto range = [&](const char* field, int64_t lo) {
          if (!has(self, field) || !self[field].is_number()) return;
          int64_t v = self[field].get<int64_t>();
          if (v < lo || v > 65535) {
            errors.add(child(path, field),
                       "must be between " + std::to_string(lo) + " and 65535, inclusive");
          }
        };
        range("port", 1);
        range("nodePort", 0);
        if (has(self, "name") && !str(self, "name").empty()) {
          if (auto m = checkDns1123Label(str(self, "name")); !m.empty()) errors.add(child(path, "name"), m);
        }
        if (has(self, "targetPort")) {
          const json& t = self["targetPort"];
          if (t.is_number()) {
            range("targetPort", 1);
          } else if (t.is_string()) {
            if (auto m = checkIanaSvcName(t.get_ref<const std::string&>()); !m.empty()) {
              errors.add(child(path, "targetPort"), m);
            }
          }
        }
      });
}

Schema ServiceSpec() {
  auto ipOrNone = Str().check([](const json& self, const std::string& path, Errors& errors) {
    const auto& s = self.get_ref<const std::string&>();
    if (!s.empty() && s != "None" && !isIP(s)) {
      errors.add(path, "must be empty, 'None', or a valid IP address");
    }
  });
  return Obj({{"ports", Arr(ServicePort())},
              {"selector", Labels()},
              {"type", Str().oneOf({"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"}).def("ClusterIP")},
              {"clusterIP", ipOrNone},
              {"clusterIPs", Arr(ipOrNone)},
              {"externalIPs", Arr(Str())},
              {"externalName", Str()},
              {"sessionAffinity", Str().oneOf({"ClientIP", "None"}).def("None")},
              {"sessionAffinityConfig",
               Obj({{"clientIP", Obj({{"timeoutSeconds", Int().min(1).max(86400)}})}})},
              {"loadBalancerIP", Str()},
              {"loadBalancerSourceRanges", Arr(Str())},
              {"loadBalancerClass", Str()},
              {"externalTrafficPolicy", Str().oneOf({"Cluster", "Local"})},
              {"internalTrafficPolicy", Str().oneOf({"Cluster", "Local"})},
              {"healthCheckNodePort", Int()},
              {"publishNotReadyAddresses", Bool()},
              {"ipFamilies", Arr(Str().oneOf({"IPv4", "IPv6"})).maxItems(2)},
              {"ipFamilyPolicy", Str().oneOf({"SingleStack", "PreferDualStack", "RequireDualStack"})},
              {"allocateLoadBalancerNodePorts", Bool()},
              {"trafficDistribution", Str()}})
      .check([](const json& self, const std::string& path, Errors& errors) {
        const auto& type = str(self, "type");
        const json& ports = arr(self, "ports");
        std::string portsPath = child(path, "ports");
        if (type == "ExternalName") {
          if (str(self, "externalName").empty()) {
            errors.add(child(path, "externalName"), "Required value");
          } else if (auto m = checkDns1123Subdomain(str(self, "externalName")); !m.empty()) {
            errors.add(child(path, "externalName"), m);
          }
        } else if (ports.empty() && str(self, "clusterIP") != "None") {
          errors.add(portsPath, "Required value");
        }
        std::set<std::string> names;
        std::set<std::string> portProtocols;
        for (size_t i = 0; i < ports.size(); ++i) {
          const json& p = ports[i];
          if (!p.is_object()) continue;
          const auto& name = str(p, "name");
          if (ports.size() > 1 && name.empty()) errors.add(child(index(portsPath, i), "name"), "Required value");
          if (!name.empty() && !names.insert(name).second) {
            errors.add(child(index(portsPath, i), "name"), "Duplicate value: \"" + name + "\"");
          }
          json key = {{"port", p.value("port", json())}, {"protocol", str(p, "protocol")}};
          if (!portProtocols.insert(key.dump()).second) {
            errors.add(index(portsPath, i), "Duplicate value: " + key.dump());
          }
        }
      });
}

// ---------------------------------------------------------------------------------------------
// EndpointSlice

Schema Endpoint() {
  auto objectReference = Obj({{"kind", Str()},
                              {"namespace", Str()},
                              {"name", Str()},
                              {"uid", Str()},
                              {"apiVersion", Str()},
                              {"resourceVersion", Str()},
                              {"fieldPath", Str()}});
  auto zones = Arr(Obj({{"name", Str()}}).required({"name"})).maxItems(8);
  return Obj({{"addresses", Arr(Str()).minItems(1).maxItems(100)},
              {"conditions", Obj({{"ready", Bool()}, {"serving", Bool()}, {"terminating", Bool()}})},
              {"hostname", Str()},
              {"targetRef", objectReference},
              {"deprecatedTopology", MapOf(Str())},
              {"nodeName", Str()},
              {"zone", Str()},
              {"hints", Obj({{"forZones", zones}, {"forNodes", zones}})}})
      .required({"addresses"})
      .check([](const json& self, const std::string& path, Errors& errors) {
        if (has(self, "hostname")) {
          if (auto m = checkDns1123Label(str(self, "hostname")); !m.empty()) errors.add(child(path, "hostname"), m);
        }
        if (has(self, "nodeName")) {
          if (auto m = checkDns1123Subdomain(str(self, "nodeName")); !m.empty()) errors.add(child(path, "nodeName"), m);
        }
      });
}

}  // namespace

namespace core {

void serviceDefaults(json& service) {
  json* spec = service.contains("spec") && service["spec"].is_object() ? &service["spec"] : nullptr;
  if (!spec) return;
  if (auto ports = spec->find("ports"); ports != spec->end() && ports->is_array()) {
    for (auto& p : *ports) {
      if (p.is_object() && !has(p, "targetPort") && has(p, "port")) p["targetPort"] = p["port"];
    }
  }
  const auto& type = str(*spec, "type");
  if (type != "ExternalName" && !has(*spec, "internalTrafficPolicy")) (*spec)["internalTrafficPolicy"] = "Cluster";
  if ((type == "NodePort" || type == "LoadBalancer") && !has(*spec, "externalTrafficPolicy")) {
    (*spec)["externalTrafficPolicy"] = "Cluster";
  }
}

void secretDefaults(json& secret) {
  auto stringData = secret.find("stringData");
  if (stringData == secret.end()) return;
  if (stringData->is_object()) {
    if (!secret.contains("data") || !secret["data"].is_object()) secret["data"] = json::object();
    for (const auto& [key, value] : stringData->items()) {
      if (value.is_string()) secret["data"][key] = base64Encode(value.get_ref<const std::string&>());
    }
  } else if (!stringData->is_null()) {
    return;  // left for validate() to report
  }
  secret.erase("stringData");
}

}  // namespace core

namespace kinds {

const Node& namespace_() {
  static const Schema s = TopLevel(ObjectMeta(NameRule::Dns1123Label),
                                   Obj({{"finalizers", Arr(Str())}}), /*specRequired=*/false);
  return s.node();
}

const Node& service() {
  static const Schema s = TopLevel(ObjectMeta(NameRule::Dns1035Label), ServiceSpec(), /*specRequired=*/false);
  return s.node();
}

const Node& endpointSlice() {
  static const Schema s =
      Obj({{"apiVersion", Str()},
           {"kind", Str()},
           {"metadata", ObjectMeta(NameRule::Dns1123Subdomain)},
           {"addressType", Str().oneOf({"IPv4", "IPv6", "FQDN"})},
           {"endpoints", Arr(Endpoint()).maxItems(1000)},
           {"ports", Arr(Obj({{"name", Str()}, {"protocol", Protocol()}, {"port", Int()}, {"appProtocol", Str()}}))
                         .maxItems(20000)}})
          .required({"addressType"})
          .check([](const json& self, const std::string&, Errors& errors) {
            const auto& type = str(self, "addressType");
            const json& endpoints = arr(self, "endpoints");
            for (size_t i = 0; i < endpoints.size(); ++i) {
              const json& addresses = arr(endpoints[i], "addresses");
              for (size_t j = 0; j < addresses.size(); ++j) {
                if (!addresses[j].is_string()) continue;
                const auto& a = addresses[j].get_ref<const std::string&>();
                std::string path = index(child(index("endpoints", i), "addresses"), j);
                if (type == "IPv4" && !isIPv4(a)) errors.add(path, "must be a valid IPv4 address");
                if (type == "IPv6" && !isIPv6(a)) errors.add(path, "must be a valid IPv6 address");
                if (type == "FQDN") {
                  if (auto m = checkDns1123Subdomain(a); !m.empty()) errors.add(path, m);
                }
              }
            }
            const json& ports = arr(self, "ports");
            std::set<std::string> names;
            for (size_t i = 0; i < ports.size(); ++i) {
              const auto& name = str(ports[i], "name");
              std::string path = index("ports", i);
              if (!name.empty()) {
                if (auto m = checkDns1123Label(name); !m.empty()) errors.add(child(path, "name"), m);
              }
              if (!names.insert(name).second) errors.add(child(path, "name"), "Duplicate value: \"" + name + "\"");
              if (has(ports[i], "port") && ports[i]["port"].is_number()) {
                int64_t port = ports[i]["port"].get<int64_t>();
                if (port < 0 || port > 65535) errors.add(child(path, "port"), "must be between 0 and 65535, inclusive");
              }
            }
          });
  return s.node();
}

const Node& secret() {
  static const Schema s =
      Obj({{"apiVersion", Str()},
           {"kind", Str()},
           {"metadata", ObjectMeta(NameRule::Dns1123Subdomain)},
           {"data", MapOf(Str()).check(configMapData(/*base64=*/true))},
           {"stringData", MapOf(Str()).check(configMapData(/*base64=*/false))},
           {"type", Str().def("Opaque")},
           {"immutable", Bool()}})
          .check([](const json& self, const std::string&, Errors& errors) {
            const json& data = obj(self, "data");
            const auto& type = str(self, "type");
            auto requireKey = [&](const char* key) {
              if (!data.contains(key)) errors.add(mapKey("data", key), "Required value");
            };
            if (type == "kubernetes.io/tls") {
              requireKey("tls.crt");
              requireKey("tls.key");
            } else if (type == "kubernetes.io/dockercfg") {
              requireKey(".dockercfg");
            } else if (type == "kubernetes.io/dockerconfigjson") {
              requireKey(".dockerconfigjson");
            } else if (type == "kubernetes.io/ssh-auth") {
              requireKey("ssh-privatekey");
            } else if (type == "kubernetes.io/basic-auth") {
              if (!data.contains("username") && !data.contains("password")) {
                errors.add(mapKey("data", "username"), "Required value");
                errors.add(mapKey("data", "password"), "Required value");
              }
            } else if (type == "kubernetes.io/service-account-token") {
              if (str(obj(obj(self, "metadata"), "annotations"), "kubernetes.io/service-account.name").empty()) {
                errors.add("metadata.annotations[kubernetes.io/service-account.name]", "Required value");
              }
            }
            if (dataSize(data, true) > kMaxSecretSize) {
              errors.add("data", "Too long: must have at most 1048576 bytes");
            }
          });
  return s.node();
}

const Node& configMap() {
  static const Schema s =
      Obj({{"apiVersion", Str()},
           {"kind", Str()},
           {"metadata", ObjectMeta(NameRule::Dns1123Subdomain)},
           {"data", MapOf(Str()).check(configMapData(/*base64=*/false))},
           {"binaryData", MapOf(Str()).check(configMapData(/*base64=*/true))},
           {"immutable", Bool()}})
          .check([](const json& self, const std::string&, Errors& errors) {
            const json& data = obj(self, "data");
            const json& binary = obj(self, "binaryData");
            for (const auto& [key, v] : binary.items()) {
              if (data.contains(key)) {
                errors.add(mapKey("data", key), "Invalid value: \"" + key + "\": duplicate of key present in binaryData");
              }
            }
            if (dataSize(data, false) + dataSize(binary, true) > kMaxSecretSize) {
              errors.add("", "Too long: must have at most 1048576 bytes");
            }
          });
  return s.node();
}

}  // namespace kinds
}  // namespace gatehouse::model
