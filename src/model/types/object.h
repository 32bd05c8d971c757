#pragma once
// Typed objects: what the translator reads. The store decodes each object once, after
// validation and defaulting (model::decodeTyped), so the fields hold the CRD defaults and only
// values the schema admits; the packed manifest stays on the Resource for /status.
// References carry their namespace resolved (the referring object's when the ref names none).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gatehouse::model {

constexpr const char* kGatewayGroup = "gateway.networking.k8s.io";

struct TypedObject {
  virtual ~TypedObject() = default;
};

struct LabelSelector {
  struct Requirement {
    std::string key;
    std::string op;  // In, NotIn, Exists, DoesNotExist
    std::vector<std::string> values;
  };
  std::map<std::string, std::string> match_labels;
  std::vector<Requirement> match_expressions;

  bool matches(const std::map<std::string, std::string>& labels) const;
};

// ParentReference (group/kind default gateway.networking.k8s.io/Gateway).
struct ParentRef {
  std::string group, kind, ns, name;
  std::optional<std::string> section_name;
  std::optional<int32_t> port;
};

// BackendObjectReference (group "" / kind Service by default); port nullopt when absent.
struct BackendObjectRef {
  std::string group, kind, ns, name;
  std::optional<int32_t> port;
};

// SecretObjectReference (group "" / kind Secret by default).
struct SecretObjectRef {
  std::string group, kind, ns, name;
};

// ObjectReference (group, kind and name required; e.g. a CA certificate ConfigMap).
struct ObjectRef {
  std::string group, kind, ns, name;
};

// What every route kind shares: where it attaches and for which hostnames.
struct Route : TypedObject {
  std::vector<ParentRef> parent_refs;
  std::vector<std::string> hostnames;  // empty: any (and always empty for TCPRoute/UDPRoute)
};

}  // namespace gatehouse::model
