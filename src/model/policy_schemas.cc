// ReferenceGrant and BackendTLSPolicy, as the v1.6.1 standard CRDs define them:
// ../shared/gateway-api/v1.6.1/crd/standard/gateway.networking.k8s.io_{referencegrants,
// backendtlspolicies}.yaml.
#include "model/gateway_api_types.h"
#include "model/kind_schemas.h"
#include "model/object_meta.h"

namespace gatehouse::model::kinds {

using namespace schema;
using namespace gwapi;

namespace {

bool emptyOrAbsent(const json& o, std::string_view key) { return str(o, key).empty(); }

bool sameTarget(const json& p1, const json& p2) {
  return str(p1, "group") == str(p2, "group") && str(p1, "kind") == str(p2, "kind") &&
         str(p1, "name") == str(p2, "name");
}

Schema TargetRefs() {
  return Arr(Obj({{"group", Group()}, {"kind", Kind()}, {"name", ObjectName()}, {"sectionName", SectionName()}})
                 .required({"group", "kind", "name"}))
      .minItems(1)
      .maxItems(16)
      .rule(
          [](const json& self) {
            for (const auto& p1 : self) {
              for (const auto& p2 : self) {
                if (sameTarget(p1, p2) && emptyOrAbsent(p1, "sectionName") != emptyOrAbsent(p2, "sectionName")) {
                  return false;
                }
              }
            }
            return true;
          },
          "sectionName must be specified when targetRefs includes 2 or more references to the same target")
      .rule(
          [](const json& self) {
            for (const auto& p1 : self) {
              size_t n = 0;
              for (const auto& p2 : self) {
                bool sameSection = (emptyOrAbsent(p1, "sectionName") && emptyOrAbsent(p2, "sectionName")) ||
                                   (has(p1, "sectionName") && has(p2, "sectionName") &&
                                    p1["sectionName"] == p2["sectionName"]);
                n += sameTarget(p1, p2) && sameSection;
              }
              if (n != 1) return false;
            }
            return true;
          },
          "sectionName must be unique when targetRefs includes 2 or more references to the same target");
}

Schema SubjectAltName() {
  return Obj({{"hostname", Hostname()},
              {"type", Str().oneOf({"Hostname", "URI"})},
              {"uri", Str().minLen(1).maxLen(253).pattern(R"re(^(([^:/?#]+):)(//([^/?#]*))([^?#]*)(\?([^#]*))?(#(.*))?)re")}})
      .required({"type"})
      .rule([](const json& self) { return !(str(self, "type") == "Hostname" && str(self, "hostname").empty()); },
            "SubjectAltName element must contain Hostname, if Type is set to Hostname")
      .rule([](const json& self) { return !(str(self, "type") != "Hostname" && !str(self, "hostname").empty()); },
            "SubjectAltName element must not contain Hostname, if Type is not set to Hostname")
      .rule([](const json& self) { return !(str(self, "type") == "URI" && str(self, "uri").empty()); },
            "SubjectAltName element must contain URI, if Type is set to URI")
      .rule([](const json& self) { return !(str(self, "type") != "URI" && !str(self, "uri").empty()); },
            "SubjectAltName element must not contain URI, if Type is not set to URI");
}

Schema BackendTLSPolicyValidation() {
  auto caRefs = [](const json& self) { return size(self, "caCertificateRefs") > 0; };
  auto wellKnown = [](const json& self) { return !str(self, "wellKnownCACertificates").empty(); };
  return Obj({{"caCertificateRefs", Arr(LocalObjectReference()).maxItems(8)},
              {"hostname", PreciseHostname()},
              {"subjectAltNames", Arr(SubjectAltName()).maxItems(5)},
              {"wellKnownCACertificates",
               Str().minLen(1).maxLen(253).pattern(
                   R"re(^(System|([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]))$)re")}})
      .required({"hostname"})
      .rule([=](const json& self) { return !(caRefs(self) && wellKnown(self)); },
            "must not contain both CACertificateRefs and WellKnownCACertificates")
      .rule([=](const json& self) { return caRefs(self) || wellKnown(self); },
            "must specify either CACertificateRefs or WellKnownCACertificates");
}

}  // namespace

const Node& referenceGrant() {
  static const Schema s = TopLevel(
      ObjectMeta(NameRule::Dns1123Subdomain),
      Obj({{"from", Arr(Obj({{"group", Group()}, {"kind", Kind()}, {"namespace", Namespace()}})
                            .required({"group", "kind", "namespace"}))
                        .minItems(1)
                        .maxItems(16)},
           {"to", Arr(Obj({{"group", Group()}, {"kind", Kind()}, {"name", ObjectName()}}).required({"group", "kind"}))
                      .minItems(1)
                      .maxItems(16)}})
          .required({"from", "to"}));
  return s.node();
}

const Node& backendTLSPolicy() {
  static const Schema s = TopLevel(ObjectMeta(NameRule::Dns1123Subdomain),
                                   Obj({{"options", MapOf(Str().minLen(0).maxLen(4096)).maxProps(16)},
                                        {"targetRefs", TargetRefs()},
                                        {"validation", BackendTLSPolicyValidation()}})
                                       .required({"targetRefs", "validation"}));
  return s.node();
}

}  // namespace gatehouse::model::kinds
