#pragma once
// BackendTLSPolicy: which policy applies to each Service port (conflicts resolved as the spec
// orders them), the upstream TLS settings that port's clusters get, and each policy's conditions.
// Rebuilt every run from the policies and their CA ConfigMaps (few objects; a change of either is
// a full run, so the clusters that use them are recompiled).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/resource.h"
#include "snapshot/snapshot.h"
#include "store/store.h"
#include "translator/conditions.h"

namespace gatehouse::translator {

class BackendTlsPolicies {
 public:
  struct Policy {
    model::ResourcePtr resource;
    Conditions conditions;                    // Accepted, ResolvedRefs
    std::vector<model::ObjectKey> services;   // the Services it targets
    std::optional<snapshot::UpstreamTls> tls;  // what it asks for (also when it lost a conflict)
  };

  void build(const store::View& view);

  // The TLS a cluster of this Service port gets; nullopt: plain TCP.
  const snapshot::UpstreamTls* forPort(const model::ObjectKey& service, const std::string& port_name) const;

  const std::vector<Policy>& policies() const { return policies_; }

 private:
  std::vector<Policy> policies_;
  // The winning policy (index into policies_) by Service and sectionName ("" = the whole Service).
  std::map<std::pair<model::ObjectKey, std::string>, size_t> winners_;
};

}  // namespace gatehouse::translator
