#pragma once
// The features reported in GatewayClass status.supportedFeatures: only those whose
// conformance cases all pass (conformance/expected-pass.txt is the evidence).
#include <string>
#include <vector>

namespace gatehouse::main {

inline std::vector<std::string> supportedFeatures() {
  return {"Gateway", "HTTPRoute", "ReferenceGrant"};
}

}  // namespace gatehouse::main
