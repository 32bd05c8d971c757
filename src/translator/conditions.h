#pragma once
// Status conditions with the spec's types and reasons, verbatim, as named constants
// (sigs.k8s.io/gateway-api/apis/v1: GatewayClassConditionType, GatewayConditionReason,
// ListenerConditionReason, RouteConditionReason, ...).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gatehouse::translator {

namespace condition {
// Types.
inline constexpr const char* kAccepted = "Accepted";
inline constexpr const char* kProgrammed = "Programmed";
inline constexpr const char* kResolvedRefs = "ResolvedRefs";
inline constexpr const char* kConflicted = "Conflicted";
inline constexpr const char* kSupportedVersion = "SupportedVersion";
inline constexpr const char* kInsecureFrontendValidationMode = "InsecureFrontendValidationMode";  // Gateway
// Gatehouse's own (route parent): a rule never receives traffic, see translator/shadowing.h.
inline constexpr const char* kShadowed = "gatehouse.dev/Shadowed";
// Gatehouse's own (route parent): a backendRef's Service has no ready endpoint (its requests get
// 503). ResolvedRefs stays True: the reference itself resolves.
inline constexpr const char* kNoReadyEndpoints = "gatehouse.dev/NoReadyEndpoints";
}  // namespace condition

namespace reason {
// Positive reasons are named like their condition type.
inline constexpr const char* kAccepted = "Accepted";
inline constexpr const char* kProgrammed = "Programmed";
inline constexpr const char* kResolvedRefs = "ResolvedRefs";
inline constexpr const char* kSupportedVersion = "SupportedVersion";
inline constexpr const char* kNoConflicts = "NoConflicts";
// GatewayClass.
inline constexpr const char* kInvalidParameters = "InvalidParameters";
// Gateway.
inline constexpr const char* kUnsupportedAddress = "UnsupportedAddress";
inline constexpr const char* kListenersNotValid = "ListenersNotValid";
inline constexpr const char* kInvalid = "Invalid";
inline constexpr const char* kAddressNotAssigned = "AddressNotAssigned";
inline constexpr const char* kAddressNotUsable = "AddressNotUsable";
inline constexpr const char* kConfigurationChanged = "ConfigurationChanged";  // InsecureFrontendValidationMode
inline constexpr const char* kInvalidClientCertificateRef = "InvalidClientCertificateRef";  // ResolvedRefs (also RefNotPermitted)
// Listener.
inline constexpr const char* kUnsupportedProtocol = "UnsupportedProtocol";
inline constexpr const char* kInvalidRouteKinds = "InvalidRouteKinds";
inline constexpr const char* kProtocolConflict = "ProtocolConflict";
inline constexpr const char* kHostnameConflict = "HostnameConflict";
inline constexpr const char* kInvalidCertificateRef = "InvalidCertificateRef";
inline constexpr const char* kUnsupportedTLSMode = "UnsupportedTLSMode";
inline constexpr const char* kRefNotPermitted = "RefNotPermitted";
inline constexpr const char* kInvalidCACertificateRef = "InvalidCACertificateRef";
inline constexpr const char* kInvalidCACertificateKind = "InvalidCACertificateKind";
inline constexpr const char* kNoValidCACertificate = "NoValidCACertificate";
// ListenerSet (also ListenersNotValid).
inline constexpr const char* kNotAllowed = "NotAllowed";
inline constexpr const char* kParentNotAccepted = "ParentNotAccepted";
inline constexpr const char* kParentNotProgrammed = "ParentNotProgrammed";
// Route.
inline constexpr const char* kNoMatchingParent = "NoMatchingParent";
inline constexpr const char* kNotAllowedByListeners = "NotAllowedByListeners";
inline constexpr const char* kNoMatchingListenerHostname = "NoMatchingListenerHostname";
inline constexpr const char* kUnsupportedValue = "UnsupportedValue";
inline constexpr const char* kInvalidKind = "InvalidKind";
inline constexpr const char* kBackendNotFound = "BackendNotFound";
// Policy (BackendTLSPolicy; also InvalidKind, InvalidCACertificateRef, NoValidCACertificate).
inline constexpr const char* kConflicted = "Conflicted";
inline constexpr const char* kTargetNotFound = "TargetNotFound";  // Gatehouse's policies (GEP-713)
inline constexpr const char* kShadowed = "Shadowed";
inline constexpr const char* kNoReadyEndpoints = "NoReadyEndpoints";
}  // namespace reason

struct Condition {
  std::string type;
  bool status = true;
  std::string reason;
  std::string message;
};

using Conditions = std::vector<Condition>;

// Sets (or replaces) the condition of that type.
void setCondition(Conditions& conditions, Condition condition);
const Condition* findCondition(const Conditions& conditions, const std::string& type);

// JSON form with observedGeneration; lastTransitionTime is filled in by the status writer,
// which knows the previous status.
nlohmann::json toJson(const Conditions& conditions, int64_t observed_generation);

}  // namespace gatehouse::translator
