#pragma once
// Building blocks shared by the Gateway API kinds, one per type of the Go API
// (sigs.k8s.io/gateway-api/apis/v1/shared_types.go, object_reference_types.go, ...), with the
// schema the v1.6.1 standard CRDs give them.
#include "model/schema.h"

namespace gatehouse::model::gwapi {

using schema::Schema;

// Scalars.
Schema Group();            // "" or a DNS subdomain, <= 253
Schema Kind();             // 1..63, ^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$
Schema ObjectName();       // 1..253
Schema Namespace();        // DNS-1123 label
Schema SectionName();      // DNS-1123 subdomain, 1..253
Schema PortNumber();       // 1..65535
Schema Hostname();         // optional leading "*.", 1..253
Schema PreciseHostname();  // no wildcard
Schema HeaderName();       // RFC 7230 token, 1..256
Schema Duration();         // Gateway API duration (GEP-2257)
Schema LabelSelector();    // metav1.LabelSelector as the CRDs describe it (no extra checks)

// References.
Schema ParentReference();           // group/kind defaulted to gateway.networking.k8s.io/Gateway
Schema ParentRefs();                // []ParentReference with the sectionName CEL rules
Schema BackendObjectReference();    // group "" / kind Service defaulted, port rule
Schema BackendRef();                // BackendObjectReference + weight (default 1)
Schema SecretObjectReference();     // group "" / kind Secret defaulted
Schema ObjectReference();           // group, kind, name required; namespace optional
Schema LocalObjectReference();      // group, kind, name required
Schema ParametersReference();       // GatewayClass parametersRef

// Route pieces shared by HTTPRoute and GRPCRoute.
Schema HeaderModifier();            // HTTPHeaderFilter
Schema RequestMirror();             // HTTPRequestMirrorFilter
Schema HeaderMatch(size_t maxValueLength);  // name/type(Exact)/value
Schema RouteRuleName();             // SectionName used as rules[].name
Schema RouteHostnames();            // []Hostname, at most 16

// Adds, in the CRD's order, the pair of CEL rules that tie a filter's union member to its type:
// "filter.<member> must be nil if the filter.type is not <Type>" and
// "filter.<member> must be specified for <Type> filter.type".
Schema withFilterUnion(Schema filter,
                       std::initializer_list<std::pair<const char*, const char*>> memberToType);

// Rule on a filter list: "<Type> filter cannot be repeated".
Schema notRepeated(Schema filters, const char* type);

// Total number of matches over the first 16 rules must be <= 128 (HTTPRoute, GRPCRoute).
bool totalMatchesAtMost128(const nlohmann::json& rules);

}  // namespace gatehouse::model::gwapi
