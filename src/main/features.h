#pragma once
// The features reported in GatewayClass status.supportedFeatures: only those whose conformance
// cases all pass. CI runs the suite with exactly these features (read back from the
// GatewayClass) and every test it selects is listed in conformance/expected-pass.txt.
#include <string>
#include <vector>

namespace gatehouse::main {

inline std::vector<std::string> supportedFeatures() {
  return {
      "BackendTLSPolicy",               // HTTP/1.1 (ALPN http/1.1) and HTTP/2 (ALPN h2) upstreams
      "BackendTLSPolicySANValidation",  // subjectAltNames: Hostname and URI
      "Gateway",
      "GatewayAddressEmpty",
      "GatewayBackendClientCertificate",  // spec.tls.backend: presented to backends with a BackendTLSPolicy
      "GatewayFrontendClientCertificateValidation",                  // tls.frontend, per port
      "GatewayFrontendClientCertificateValidationInsecureFallback",  // mode AllowInsecureFallback
      "GatewayHTTPListenerIsolation",
      "GatewayHTTPSListenerDetectMisdirectedRequests",  // HTTP/2 and HTTP/1.1 over TLS: 421
      "GatewayInfrastructurePropagation",  // emulated standalone: /infrastructure lists the objects
      "GatewayPort8080",
      "GatewayStaticAddresses",
      "GRPCRoute",
      "GRPCRouteNamedRouteRule",
      "HTTPRoute",
      "HTTPRoute303RedirectStatusCode",
      "HTTPRoute307RedirectStatusCode",
      "HTTPRoute308RedirectStatusCode",
      "HTTPRouteBackendProtocolH2C",
      "HTTPRouteBackendProtocolWebSocket",
      "HTTPRouteBackendRequestHeaderModification",
      "HTTPRouteBackendTimeout",
      "HTTPRouteCORS",  // preflights answered by the gateway
      "HTTPRouteDestinationPortMatching",
      "HTTPRouteHostRewrite",
      "HTTPRouteMethodMatching",
      "HTTPRouteNamedRouteRule",
      "HTTPRouteParentRefPort",
      "HTTPRoutePathRedirect",
      "HTTPRoutePathRewrite",
      "HTTPRoutePortRedirect",
      "HTTPRouteQueryParamMatching",
      "HTTPRouteRequestMirror",
      "HTTPRouteRequestMultipleMirrors",
      "HTTPRouteRequestPercentageMirror",
      "HTTPRouteRequestTimeout",
      "HTTPRouteResponseHeaderModification",
      "HTTPRouteRetry",                 // codes, attempts, backoff; another endpoint when there is one
      "HTTPRouteRetryBackendTimeout",   // a backendRequest timeout ends the attempt, not the request
      "HTTPRouteRetryConnectionError",  // refused, reset or closed before the response
      "HTTPRouteSchemeRedirect",
      "ListenerSet",
      "ReferenceGrant",
      "TCPRoute",  // GATEWAY-TCP core
      "TLSRoute",                // GATEWAY-TLS core (Passthrough)
      "TLSRouteModeMixed",       // Terminate and Passthrough listeners on one port, by SNI
      "TLSRouteModeTerminate",   // TLS listeners in mode Terminate: plaintext to the backend
      "UDPRoute",  // GATEWAY-UDP core
  };
}

}  // namespace gatehouse::main
