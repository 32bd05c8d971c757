#pragma once
// Route kinds. Everything the kinds share (parentRefs, sectionName and port, allowedRoutes
// namespaces and kinds, hostname intersection, ReferenceGrants, Accepted/ResolvedRefs and the
// route's status.parents) is the attachment core's (attachment.cc); a kind is a compiler in its
// own file, route_kinds/<kind>.cc, registered in route_kinds/registry.cc. It says which listener
// protocols serve it and what it compiles to, and places that on the listeners it attaches to.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/resource.h"
#include "translator/conditions.h"
#include "translator/host_tables.h"
#include "translator/l4_tables.h"

namespace gatehouse::translator {

// What a listener serves; each route kind places its compiled form in one of these tables.
struct ListenerTables {
  HostRoutes hosts;  // HTTP and HTTPS listeners, by request host
  L4Routes l4;       // TLS listeners by SNI; TCP and UDP listeners under "" (any)

  void remove(const std::string& host, const RouteIdentity* owner) {
    hosts.remove(host, owner);
    l4.remove(host, owner);
  }
  void rebuild() {
    hosts.rebuild();
    l4.rebuild();
  }
};

// Resolves a backendRef of the route being compiled to a cluster (ReferenceGrant, Service, port)
// and records the Service, so that a change of it recompiles the route.
class BackendResolver {
 public:
  virtual ~BackendResolver() = default;
  // The cluster index, or nullopt; the first failure of a compile is kept in `problem`.
  virtual std::optional<uint32_t> resolve(const model::BackendObjectRef& ref, std::optional<Condition>& problem) = 0;
};

// A route compiled: what it serves, wherever it attaches.
class CompiledRoute {
 public:
  virtual ~CompiledRoute() = default;
  // Puts what the route serves under `host` ("" = any) of a listener it attached to.
  virtual void place(ListenerTables& tables, const std::string& host, const RouteIdentity* owner) const = 0;
  // Each HTTP rule it compiled to, before it is placed (the policies attached to it are set so).
  virtual void forEachRule(const std::function<void(snapshot::Rule&)>& f) { (void)f; }

  Condition resolved_refs{condition::kResolvedRefs, true, reason::kResolvedRefs, "All references resolved"};
  std::optional<Condition> not_accepted;  // when set, the route is accepted by no parent
};

class RouteKind {
 public:
  virtual ~RouteKind() = default;
  virtual std::string_view kind() const = 0;  // of group gateway.networking.k8s.io
  // Listeners of this protocol serve the kind and list it in supportedKinds.
  virtual bool servesProtocol(std::string_view protocol) const = 0;
  // `route` has this kind's typed form.
  virtual std::unique_ptr<CompiledRoute> compile(const model::Resource& route, BackendResolver& backends) const = 0;
};

// Every kind, in registration order (the order of a listener's supportedKinds).
const std::vector<const RouteKind*>& routeKinds();
const RouteKind* findRouteKind(std::string_view kind);

}  // namespace gatehouse::translator
