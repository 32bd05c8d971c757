#pragma once
// What the translator keeps between runs, and the steps of a run, each defined in the file of
// its responsibility: gateways.cc (GatewayClasses, Gateways, addresses), listener_sets.cc (which
// ListenerSets add listeners to a Gateway), listeners.cc, frontend_tls.cc (client certificates),
// backend_client_certificate.cc (the certificate the Gateway presents to TLS backends),
// attachment.cc (the attachment core for every route kind), gateway_status.cc (Gateways and
// ListenerSets), snapshot_builder.cc; translator.cc drives a run.
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/types/gateway.h"
#include "translator/address_allocator.h"
#include "translator/backend_tls_policies.h"
#include "translator/backends.h"
#include "translator/conditions.h"
#include "translator/policies/policy_attachments.h"
#include "translator/route_kind.h"
#include "translator/translator.h"

namespace gatehouse::translator {

// The object that declares a listener: its Gateway or a ListenerSet attached to it. A route's
// parentRef names it; its namespace is the "Same" of allowedRoutes and the "from" of the
// ReferenceGrants its certificates need.
struct ListenerOwner {
  std::string kind, ns, name;
  bool operator==(const ListenerOwner&) const = default;
};

struct ListenerState {
  const model::Listener* spec = nullptr;  // in its owner's typed form, which the state holds
  ListenerOwner owner;
  Conditions conditions;
  std::vector<const RouteKind*> supported_kinds;
  int attached = 0;
  bool usable = true;  // accepted, not conflicted, refs resolved: it serves traffic
  bool accepted = true;
  std::vector<snapshot::TlsCertificate> certificates;
  std::optional<snapshot::ClientValidation> client_validation;  // HTTPS: the Gateway's tls.frontend for its port
  ListenerTables tables;
};

struct GatewayState {
  model::ResourcePtr resource;
  const model::Gateway* spec = nullptr;
  Conditions conditions;
  // Its own listeners first, then those of the ListenerSets it allows, in the spec's precedence
  // (ListenerSets oldest first, then by namespace/name): the earlier listener wins a conflict.
  std::vector<ListenerState> listeners;
  std::string address;
  bool accepted = true;
  // spec.tls.backend.clientCertificateRef, resolved: what its listeners present to TLS backends.
  std::optional<snapshot::TlsCertificate> backend_client_certificate;
  snapshot::ListenerMetrics metrics;  // from its GatehouseParameters, for every listener
};

// A ListenerSet whose parentRef names one of our Gateways.
struct ListenerSetState {
  model::ResourcePtr resource;
  const model::ListenerSet* spec = nullptr;
  std::string gateway;   // "namespace/name" of the parent
  bool allowed = false;  // the parent's allowedListeners selects it: its listeners are the parent's
  bool accepted = false;  // allowed, parent accepted, and one of its listeners valid
};

// What the translator keeps of one route it owns, to undo its effects when it changes.
struct RouteRecord {
  model::ResourcePtr resource;
  const RouteKind* kind = nullptr;
  RouteIdentity identity;
  std::unique_ptr<CompiledRoute> compiled;
  std::set<model::ObjectKey> services;  // every Service it named, resolved or not
  std::set<std::string> grant_namespaces;  // of its cross-namespace backendRefs: their ReferenceGrants decide
  std::vector<uint32_t> clusters;       // cluster references it holds
  // One entry per parentRef that names one of our Gateways or ListenerSets, in spec order.
  struct Parent {
    size_t ref = 0;         // index into the route's parentRefs
    Conditions conditions;  // Accepted, ResolvedRefs; see publishedConditions()
  };
  std::vector<Parent> parents;
  struct Placement {
    std::string gateway;
    size_t listener = 0;
    std::string host;
    size_t parent = 0;  // index into parents
  };
  std::vector<Placement> placements;                       // where its candidates are
  std::vector<std::pair<std::string, size_t>> counted_on;  // listeners whose attachedRoutes include it
};

// A parentRef as status.parents[].parentRef writes it.
model::Json parentRefJson(const model::ParentRef& ref);

// What one listener makes of one parentRef of a route (attach() acts on it, explain prints it).
struct ListenerVerdict {
  enum class Outcome {
    NotDeclared,       // another Gateway's or ListenerSet's listener
    OtherSectionName,  // the parentRef names another listener
    OtherPort,
    ListenerNotAccepted,
    KindNotAllowed,       // not among the listener's supportedKinds
    NamespaceNotAllowed,  // allowedRoutes.namespaces
    NoHostnameIntersection,
    Attached,
  } outcome;
  std::vector<std::string> hosts;  // Attached: where it serves ("" = any host)
};

struct Translator::State {
  explicit State(Options o) : options(std::move(o)), addresses(options.address_pool) {}

  Options options;
  AddressAllocator addresses;
  const store::View* view = nullptr;
  bool first = true;

  std::set<std::string> classes;
  std::map<std::string, GatewayState> gateways;  // by "namespace/name"
  std::map<std::string, ListenerSetState> listener_sets;  // by "namespace/name"
  std::map<model::ObjectKey, std::unique_ptr<RouteRecord>> routes;
  std::map<model::ObjectKey, std::set<model::ObjectKey>> routes_by_service;
  std::map<std::string, std::set<model::ObjectKey>> routes_by_grant_namespace;
  Backends backends;
  BackendTlsPolicies backend_tls_policies;
  PolicyAttachments policy_attachments;  // Gatehouse's policies (gatehouse.dev)
  std::map<model::ObjectKey, size_t> statuses;  // hash of each status given out; the controller keeps them
  std::map<model::ObjectKey, std::optional<model::Packed>> changed;
  bool gateways_dirty = true;  // Gateway statuses may differ: listeners or attachments changed
  // Routes whose status is set once the listeners' tables are rebuilt (it includes shadowing) and
  // the endpoints refreshed (NoReadyEndpoints).
  std::set<model::ObjectKey> routes_to_publish;

  Translator::Result update(const store::View& v, const std::set<model::ObjectKey>& changed_keys);

  // statuses (translator.cc)
  void setStatus(const model::ObjectKey& key, const model::Json& status);
  void dropStatus(const model::ObjectKey& key);

  // gateways.cc
  void rebuildWorld();
  void buildGateways();

  // listener_sets.cc
  std::vector<const ListenerSetState*> listenerSets(const std::string& gw_name, const GatewayState& gw);

  // listeners.cc
  void listeners(const std::string& gw_name, GatewayState& gw);
  // Gateways that share an (explicit) address share its sockets: their listeners must be
  // distinct across Gateways too.
  void sharedAddressConflicts();
  void listenerKinds(ListenerState& ls);
  void listenerTls(ListenerState& ls);

  // frontend_tls.cc
  void listenerClientValidation(const GatewayState& gw, ListenerState& ls);

  // backend_client_certificate.cc
  void gatewayBackendClientCertificate(GatewayState& gw);

  // attachment.cc
  bool ours(const model::Resource& route) const;
  std::map<std::string, GatewayState>::iterator parentGateway(const model::ParentRef& ref);
  void translateRoute(const model::ObjectKey& key);
  void reattachAll(const std::set<model::ObjectKey>& done);
  void attachParents(RouteRecord& record);
  ListenerVerdict judge(const RouteRecord& record, const ListenerState& ls, const model::ParentRef& ref) const;
  Condition attach(RouteRecord& record, const std::string& gw_name, GatewayState& gw, const model::ParentRef& ref,
                   size_t parent);
  void publishRouteStatus(const RouteRecord& record);
  // A parent's conditions as published: Accepted, ResolvedRefs, and Gatehouse's Shadowed and
  // NoReadyEndpoints when they apply.
  Conditions publishedConditions(const RouteRecord& record, size_t parent) const;
  std::optional<Condition> shadowedCondition(const RouteRecord& record, size_t parent) const;
  std::optional<Condition> noReadyEndpointsCondition(const RouteRecord& record) const;
  void detach(const model::ObjectKey& key);
  void release(RouteRecord& record);

  // policy_status.cc: status.ancestors of each BackendTLSPolicy (the Gateways whose routes use a
  // Service it targets)
  void backendTlsPolicyStatuses();
  // policies/policy_status.cc: status.ancestors of each Gatehouse policy (one per target of ours)
  void gatehousePolicyStatuses();
  // explain.cc
  std::optional<RouteExplanation> explainRoute(const model::ObjectKey& key) const;

  // gateway_status.cc
  void gatewayStatuses();
  void listenerSetStatuses();

  // snapshot_builder.cc
  snapshot::SnapshotPtr buildSnapshot();
};

}  // namespace gatehouse::translator
