#include "model/types/backend_tls_policy.h"

#include "model/json_access.h"
#include "model/types/decode_parts.h"

namespace gatehouse::model {

std::shared_ptr<const TypedObject> decodeBackendTLSPolicy(const nlohmann::json& object) {
  auto out = std::make_shared<BackendTLSPolicy>();
  const std::string ns = decoding::namespaceOf(object);
  const nlohmann::json& spec = obj(object, "spec");
  for (const auto& t : arr(spec, "targetRefs"))
    out->target_refs.push_back({str(t, "group"), str(t, "kind"), str(t, "name"), decoding::optionalString(t, "sectionName")});
  const nlohmann::json& validation = obj(spec, "validation");
  for (const auto& ref : arr(validation, "caCertificateRefs")) out->ca_certificate_refs.push_back(decoding::objectRef(ref, ns));
  out->well_known_ca_certificates = str(validation, "wellKnownCACertificates");
  out->hostname = str(validation, "hostname");
  for (const auto& san : arr(validation, "subjectAltNames")) {
    const std::string type = str(san, "type");
    out->subject_alt_names.push_back({type, str(san, type == "URI" ? "uri" : "hostname")});
  }
  return out;
}

}  // namespace gatehouse::model
