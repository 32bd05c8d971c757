#pragma once
// `gatehouse convert ingress`: Kubernetes Ingress objects (networking.k8s.io/v1) with
// ingress-nginx's common annotations into Gateway API objects, and a list of what could not be
// converted. The mapping, in docs/convert-ingress.md:
//   - one Gateway per namespace and ingress class (an HTTP listener on 80, an HTTPS listener on
//     443 per TLS host with the Ingress's Secret);
//   - one HTTPRoute per Ingress and host; Prefix, Exact and ImplementationSpecific paths (regex
//     with use-regex or a capturing rewrite-target); a TLS host redirects HTTP to HTTPS (308)
//     unless ssl-redirect is "false", force-ssl-redirect redirects without TLS too;
//   - rewrite-target (a full path, or the `/path(/|$)(.*)` + `/$2` idiom as a prefix rewrite),
//     canary-weight and canary-by-header(-value) merged into the primary Ingress's rule,
//     proxy-read/send-timeout as the backend request timeout, enable-cors and its cors-* into a
//     CORS filter;
//   - limit-rps or limit-rpm with limit-burst-multiplier into a RateLimitPolicy (gatehouse.dev):
//     a local limit per client address on the Ingress's routes, per replica as in ingress-nginx;
//   - everything else (backend-protocol, connection limits, allow-lists, named Service ports,
//     other annotations) is listed, not guessed.
#include <string>
#include <vector>

#include "model/resource.h"

namespace gatehouse::convert {

struct IngressSource {
  std::string file;     // for the notes
  model::Json ingress;  // one networking.k8s.io/v1 Ingress
};

struct IngressConversion {
  std::vector<model::Json> objects;  // Gateways, then HTTPRoutes, then RateLimitPolicies
  std::vector<std::string> notes;    // "namespace/name: what: why" for each thing not converted
};

IngressConversion convertIngresses(const std::vector<IngressSource>& sources, const std::string& gateway_class);

}  // namespace gatehouse::convert
