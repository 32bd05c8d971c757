#pragma once
// BackendTLSPolicy (gateway.networking.k8s.io/v1): how the gateway connects to a Service over TLS.
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "model/types/object.h"

namespace gatehouse::model {

struct BackendTLSPolicy : TypedObject {
  struct TargetRef {
    std::string group, kind, name;
    std::optional<std::string> section_name;  // a Service port's name
  };
  struct SubjectAltName {
    std::string type;   // Hostname or URI
    std::string value;  // the hostname or the URI
  };
  std::vector<TargetRef> target_refs;
  std::vector<ObjectRef> ca_certificate_refs;  // namespace: the policy's
  std::string well_known_ca_certificates;      // "System" or empty
  std::string hostname;                        // SNI, and the name verified unless subjectAltNames
  std::vector<SubjectAltName> subject_alt_names;
};

std::shared_ptr<const TypedObject> decodeBackendTLSPolicy(const nlohmann::json& object);

}  // namespace gatehouse::model
