#pragma once
// Names of what the controller provisions for a Gateway (docs/design/config-stream.md).
#include <string>
#include <string_view>

namespace gatehouse::providers::kube {

// The name of a Gateway's data-plane Deployment, Service and ServiceAccount, all three in the
// Gateway's namespace: "gatehouse-" + the Gateway's name when that is a DNS-1035 label of at most
// 63 characters (the strictest of the three: a Service's), else "gatehouse-", the name's first
// 44 characters cleaned to [a-z0-9-], "-" and 8 hex digits of the name's SHA-256, so Gateway
// names up to 253 characters, dots included, give distinct valid names.
std::string dataPlaneName(std::string_view gateway_name);

// The audience of the projected service-account token a data plane presents on the config
// stream: not the API server's, so the token is worth nothing there.
inline constexpr std::string_view kDataPlaneTokenAudience = "gatehouse.dev/config-stream";

// The service-account user a data plane of the Gateway authenticates as.
std::string dataPlaneUser(std::string_view gateway_namespace, std::string_view gateway_name);

}  // namespace gatehouse::providers::kube
