#pragma once
// What the translator keeps between runs, and the steps of a run, each defined in the file of
// its responsibility: gateways.cc (GatewayClasses, Gateways, addresses), listeners.cc,
// attachment.cc (the attachment core for every route kind), gateway_status.cc,
// snapshot_builder.cc; translator.cc drives a run.
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/types/gateway.h"
#include "translator/address_allocator.h"
#include "translator/backends.h"
#include "translator/conditions.h"
#include "translator/route_kind.h"
#include "translator/translator.h"

namespace gatehouse::translator {

struct ListenerState {
  const model::Listener* spec = nullptr;  // in the Gateway's typed form, which the state holds
  Conditions conditions;
  std::vector<const RouteKind*> supported_kinds;
  int attached = 0;
  bool usable = true;  // accepted, not conflicted, refs resolved: it serves traffic
  bool accepted = true;
  std::vector<snapshot::TlsCertificate> certificates;
  ListenerTables tables;
};

struct GatewayState {
  model::ResourcePtr resource;
  const model::Gateway* spec = nullptr;
  Conditions conditions;
  std::vector<ListenerState> listeners;
  std::string address;
  bool accepted = true;
};

// What the translator keeps of one route it owns, to undo its effects when it changes.
struct RouteRecord {
  model::ResourcePtr resource;
  const RouteKind* kind = nullptr;
  RouteIdentity identity;
  std::unique_ptr<CompiledRoute> compiled;
  std::set<model::ObjectKey> services;  // every Service it named, resolved or not
  std::vector<uint32_t> clusters;       // cluster references it holds
  struct Placement {
    std::string gateway;
    size_t listener = 0;
    std::string host;
  };
  std::vector<Placement> placements;                       // where its candidates are
  std::vector<std::pair<std::string, size_t>> counted_on;  // listeners whose attachedRoutes include it
};

struct Translator::State {
  explicit State(Options o) : options(std::move(o)), addresses(options.address_pool) {}

  Options options;
  AddressAllocator addresses;
  const store::View* view = nullptr;
  bool first = true;

  std::set<std::string> classes;
  std::map<std::string, GatewayState> gateways;  // by "namespace/name"
  std::map<model::ObjectKey, std::unique_ptr<RouteRecord>> routes;
  std::map<model::ObjectKey, std::set<model::ObjectKey>> routes_by_service;
  Backends backends;
  std::map<model::ObjectKey, size_t> statuses;  // hash of each status given out; the controller keeps them
  std::map<model::ObjectKey, std::optional<model::Packed>> changed;
  bool gateways_dirty = true;  // Gateway statuses may differ: listeners or attachments changed

  Translator::Result update(const store::View& v, const std::set<model::ObjectKey>& changed_keys);

  // statuses (translator.cc)
  void setStatus(const model::ObjectKey& key, const model::Json& status);
  void dropStatus(const model::ObjectKey& key);

  // gateways.cc
  void rebuildWorld();
  void buildGateways();

  // listeners.cc
  void listeners(GatewayState& gw);
  void listenerKinds(ListenerState& ls);
  void listenerTls(GatewayState& gw, ListenerState& ls);
  void tlsListenerMode(ListenerState& ls);

  // attachment.cc
  bool ours(const model::Resource& route) const;
  void translateRoute(const model::ObjectKey& key);
  void reattachAll(const std::set<model::ObjectKey>& done);
  void attachParents(RouteRecord& record);
  Condition attach(RouteRecord& record, const std::string& gw_name, GatewayState& gw, const model::ParentRef& ref);
  void detach(const model::ObjectKey& key);
  void release(RouteRecord& record);

  // gateway_status.cc
  void gatewayStatuses();

  // snapshot_builder.cc
  snapshot::SnapshotPtr buildSnapshot();
};

}  // namespace gatehouse::translator
