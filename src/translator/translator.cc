#include "translator/translator.h"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "model/json_access.h"
#include "translator/conditions.h"
#include "translator/hostnames.h"
#include "dataplane/http/precedence.h"
#include "translator/references.h"

namespace gatehouse::translator {

using model::Json;
using model::ObjectKey;
using model::ResourcePtr;
using model::arr;
using model::integer;
using model::obj;
using model::str;
namespace snap = gatehouse::snapshot;

namespace {

constexpr const char* kGatewayGroup = "gateway.networking.k8s.io";

std::string nsName(const model::Resource& r) { return r.key.ns + "/" + r.key.name; }

// ---- Gateway API durations ("1h2m3s", "500ms") ---------------------------------------------

std::optional<uint32_t> parseDurationMs(const std::string& s) {
  if (s.empty()) return std::nullopt;
  double total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && (isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (start == i) return std::nullopt;
    double value = std::stod(s.substr(start, i - start));
    std::string unit;
    while (i < s.size() && isalpha(static_cast<unsigned char>(s[i]))) unit.push_back(s[i++]);
    if (unit == "h") total += value * 3600000;
    else if (unit == "m") total += value * 60000;
    else if (unit == "s") total += value * 1000;
    else if (unit == "ms") total += value;
    else return std::nullopt;
  }
  return static_cast<uint32_t>(total);
}

// ---- namespaces and label selectors -----------------------------------------------------------

std::map<std::string, std::string> namespaceLabels(const store::View& view, const std::string& ns) {
  auto r = view.find(ObjectKey{"Namespace", "", ns});
  auto labels = r ? r->labels() : std::map<std::string, std::string>{};
  labels["kubernetes.io/metadata.name"] = ns;
  return labels;
}

bool selectorMatches(const Json& selector, const std::map<std::string, std::string>& labels) {
  for (auto& [k, v] : obj(selector, "matchLabels").items()) {
    auto it = labels.find(k);
    if (it == labels.end() || !v.is_string() || it->second != v.get<std::string>()) return false;
  }
  for (const auto& expr : arr(selector, "matchExpressions")) {
    const std::string key = str(expr, "key"), op = str(expr, "operator");
    auto it = labels.find(key);
    bool in_values = false;
    for (const auto& v : arr(expr, "values"))
      in_values |= it != labels.end() && v.is_string() && v.get<std::string>() == it->second;
    if (op == "In" && !in_values) return false;
    if (op == "NotIn" && in_values) return false;
    if (op == "Exists" && it == labels.end()) return false;
    if (op == "DoesNotExist" && it != labels.end()) return false;
  }
  return true;
}

// ---- addresses --------------------------------------------------------------------------------

class AddressPool {
 public:
  explicit AddressPool(const std::string& cidr) {
    auto slash = cidr.find('/');
    in_addr a{};
    if (slash == std::string::npos || inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &a) != 1) return;
    int bits = std::stoi(cidr.substr(slash + 1));
    if (bits < 8 || bits > 32) return;
    uint32_t base = ntohl(a.s_addr) & (bits == 32 ? 0xffffffffu : ~((1u << (32 - bits)) - 1));
    uint32_t size = bits == 32 ? 1 : (1u << (32 - bits));
    first_ = size > 2 ? base + 1 : base;  // skip the network address of real subnets
    last_ = size > 2 ? base + size - 2 : base + size - 1;
    valid_ = true;
  }
  bool contains(const std::string& ip) const {
    in_addr a{};
    if (!valid_ || inet_pton(AF_INET, ip.c_str(), &a) != 1) return false;
    uint32_t v = ntohl(a.s_addr);
    return v >= first_ && v <= last_;
  }
  std::optional<std::string> next(const std::set<std::string>& taken) const {
    if (!valid_) return std::nullopt;
    for (uint64_t v = first_; v <= last_; ++v) {
      in_addr a{htonl(static_cast<uint32_t>(v))};
      char buf[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &a, buf, sizeof buf);
      if (!taken.count(buf)) return std::string(buf);
    }
    return std::nullopt;
  }

 private:
  bool valid_ = false;
  uint32_t first_ = 0, last_ = 0;
};

bool isIpLiteral(const std::string& s) {
  in6_addr a6{};
  in_addr a4{};
  return inet_pton(AF_INET, s.c_str(), &a4) == 1 || inet_pton(AF_INET6, s.c_str(), &a6) == 1;
}

// ---- translation state ------------------------------------------------------------------------

struct RouteRecord;

// One (match, rule) of an attached route under one host of one listener. Points into the
// route's record, which outlives it: a record is detached before it is recompiled or dropped.
struct RouteCandidate {
  const snap::RouteMatch* match = nullptr;
  const snap::Rule* rule = nullptr;
  const RouteRecord* owner = nullptr;
  size_t rule_index = 0, match_index = 0;
};

struct ListenerState {
  std::string name, protocol, hostname;
  int64_t port = 0;
  Json spec;
  Conditions conditions;
  std::vector<std::string> supported_kinds;
  int attached = 0;
  bool usable = true;  // accepted, not conflicted, refs resolved: it serves traffic
  bool accepted = true;
  std::vector<snap::TlsCertificate> certificates;
  // host ("" = any) -> candidates; the hosts whose table must be rebuilt; the tables as served
  std::map<std::string, std::vector<RouteCandidate>> routes;
  std::set<std::string> dirty_hosts;
  bool all_dirty = true;
  snap::HostTable host_table;
};

struct GatewayState {
  ResourcePtr resource;
  Conditions conditions;
  std::vector<ListenerState> listeners;
  std::string address;
  bool accepted = true;
};

struct CompiledRoute {
  std::vector<snap::Rule> rules;  // stable storage; candidates point into it
  std::vector<std::vector<snap::RouteMatch>> matches;
  std::vector<std::string> hostnames;
  Condition resolved_refs{"ResolvedRefs", true, "ResolvedRefs", "All references resolved"};
  std::optional<Condition> not_accepted;  // e.g. UnsupportedValue
};

// What the translator keeps of one HTTPRoute it owns, to undo its effects when it changes.
struct RouteRecord {
  ResourcePtr resource;
  std::string ns_name;
  CompiledRoute compiled;
  std::set<ObjectKey> services;   // every Service it named, resolved or not
  std::vector<uint32_t> clusters;  // cluster references it holds
  struct Placement {
    std::string gateway;
    size_t listener = 0;
    std::string host;
  };
  std::vector<Placement> placements;                       // where its candidates are
  std::vector<std::pair<std::string, size_t>> counted_on;  // listeners whose attachedRoutes include it
};

struct ClusterSlot {
  std::shared_ptr<const snap::Cluster> cluster;
  ObjectKey service;  // whose port this is
  int64_t port = 0;
  uint32_t refs = 0;
  uint64_t refreshed = 0;  // pass in which its endpoints were last computed
};

bool isWildcardOrAny(const std::string& host) { return host.empty() || host.rfind("*.", 0) == 0; }

}  // namespace

struct Translator::State {
  explicit State(Options o) : options(std::move(o)) {}

  Options options;
  std::map<std::string, std::string> assignments;
  std::map<std::string, std::string> unusable;
  const store::View* view = nullptr;
  uint64_t pass = 0;
  bool first = true;

  std::set<std::string> classes;
  std::map<std::string, GatewayState> gateways;
  std::map<ObjectKey, std::unique_ptr<RouteRecord>> routes;
  std::map<ObjectKey, std::set<ObjectKey>> routes_by_service;
  // EndpointSlices by the Service their kubernetes.io/service-name label names.
  std::map<ObjectKey, std::set<ObjectKey>> slices_by_service;
  std::map<ObjectKey, ObjectKey> service_of_slice;
  std::unordered_map<std::string, uint32_t> cluster_index;
  std::map<ObjectKey, std::set<uint32_t>> clusters_by_service;
  std::vector<ClusterSlot> cluster_slots;
  snap::ClusterTable cluster_table;  // the slots' clusters as the snapshot holds them
  std::vector<uint32_t> free_slots;
  std::map<ObjectKey, size_t> statuses;  // hash of each status given out; the controller keeps them
  std::map<ObjectKey, std::optional<model::Packed>> changed;
  RouteRecord* compiling = nullptr;  // the record whose references are being resolved
  bool gateways_dirty = true;         // Gateway statuses may differ: listeners or attachments changed

  // ---- statuses ----
  void setStatus(const ObjectKey& key, const Json& status) {
    model::Packed packed(status);
    const size_t hash = packed.hash();
    auto [it, inserted] = statuses.emplace(key, hash);
    if (!inserted && it->second == hash) return;
    it->second = hash;
    changed[key] = std::move(packed);
  }
  void dropStatus(const ObjectKey& key) {
    if (statuses.erase(key)) changed[key] = std::nullopt;
  }

  // ---- the run ----
  Translator::Result update(const store::View& v, const std::set<ObjectKey>& changed_keys) {
    view = &v;
    ++pass;
    changed.clear();
    // Compiled routes depend on routes, Services, EndpointSlices and ReferenceGrants; Gateways,
    // GatewayClasses, their Secrets and Namespaces only decide where routes attach.
    enum Mode { kDelta, kReattach, kFull } mode = first ? kFull : kDelta;
    for (const auto& key : changed_keys) {
      if (key.kind == "HTTPRoute" || key.kind == "Service" || key.kind == "EndpointSlice") continue;
      const bool attach_only = key.kind == "Gateway" || key.kind == "GatewayClass" || key.kind == "Secret" ||
                               key.kind == "Namespace";
      mode = std::max(mode, attach_only ? kReattach : kFull);
    }
    const bool full = mode == kFull;
    std::set<ObjectKey> redo, services, endpoints_changed;
    if (first) {
      rebuildSliceIndex();
    } else {
      for (const auto& key : changed_keys)
        if (key.kind == "EndpointSlice") updateSlice(key, endpoints_changed);
    }
    first = false;

    if (full) {
      for (auto& [key, record] : routes) release(*record);  // the listeners they were placed on are rebuilt
      routes.clear();
      routes_by_service.clear();
      rebuildWorld();
      gateways_dirty = true;
      for (const auto& route : view->ofKind("HTTPRoute")) redo.insert(route->key);
      // Routes that had a status and are gone get it removed below.
      for (auto& [key, status] : statuses)
        if (key.kind == "HTTPRoute") redo.insert(key);
      for (const auto& key : redo) translateRoute(key);
    } else {
      // A Service change can change what routes resolve (its ports); a slice change only
      // changes the endpoints of the clusters already made from the Service.
      for (const auto& key : changed_keys) {
        if (key.kind == "HTTPRoute") redo.insert(key);
        else if (key.kind == "Service") services.insert(key);
      }
      for (const auto& svc : services)
        if (auto it = routes_by_service.find(svc); it != routes_by_service.end())
          redo.insert(it->second.begin(), it->second.end());
      if (mode == kReattach) {
        rebuildWorld();
        gateways_dirty = true;
        // The listeners the routes were placed on are gone: nothing to remove them from.
        for (auto& [key, record] : routes) {
          record->placements.clear();
          record->counted_on.clear();
        }
      }
      for (const auto& key : redo) detach(key);
      for (const auto& key : redo) translateRoute(key);
      if (mode == kReattach) reattachAll(redo);
      for (const auto& svc : endpoints_changed) refreshEndpoints(svc);
    }
    for (auto& [name, gw] : gateways)
      for (auto& ls : gw.listeners) rebuildTables(ls);
    gatewayStatuses();

    Translator::Result result;
    result.snapshot = buildSnapshot();
    result.changed = std::move(changed);
    result.full = full;
    return result;
  }

  // ---- EndpointSlice index ----
  static std::optional<ObjectKey> serviceOfSlice(const model::Resource& slice) {
    const Json doc = slice.object();
    const std::string name = str(obj(obj(doc, "metadata"), "labels"), "kubernetes.io/service-name");
    if (name.empty()) return std::nullopt;
    return ObjectKey{"Service", slice.key.ns, name};
  }

  void rebuildSliceIndex() {
    slices_by_service.clear();
    service_of_slice.clear();
    for (const auto& slice : view->ofKind("EndpointSlice")) {
      if (auto svc = serviceOfSlice(*slice)) {
        slices_by_service[*svc].insert(slice->key);
        service_of_slice.emplace(slice->key, *svc);
      }
    }
  }

  // Re-indexes one changed slice; the Services it belonged to before and after are affected.
  void updateSlice(const ObjectKey& key, std::set<ObjectKey>& affected) {
    if (auto old = service_of_slice.find(key); old != service_of_slice.end()) {
      affected.insert(old->second);
      auto& set = slices_by_service[old->second];
      set.erase(key);
      if (set.empty()) slices_by_service.erase(old->second);
      service_of_slice.erase(old);
    }
    auto slice = view->find(key);
    if (!slice) return;
    if (auto svc = serviceOfSlice(*slice)) {
      affected.insert(*svc);
      slices_by_service[*svc].insert(key);
      service_of_slice.emplace(key, *svc);
    }
  }

  std::vector<snap::Endpoint> endpointsOf(const model::Resource& service, const ServicePort& port) const {
    std::vector<snap::Endpoint> out;
    auto found = slices_by_service.find(service.key);
    if (found == slices_by_service.end()) return out;
    for (const auto& key : found->second)
      if (auto slice = view->find(key)) appendSliceEndpoints(*slice, port, out);
    return out;
  }

  // ---- clusters ----
  template <class Compute>
  uint32_t internCluster(const std::string& name, const ObjectKey& service, int64_t port, Compute compute) {
    uint32_t index;
    if (auto it = cluster_index.find(name); it != cluster_index.end()) {
      index = it->second;
    } else {
      if (free_slots.empty()) {
        index = static_cast<uint32_t>(cluster_slots.size());
        cluster_slots.emplace_back();
      } else {
        index = free_slots.back();
        free_slots.pop_back();
      }
      cluster_index.emplace(name, index);
      cluster_slots[index].service = service;
      cluster_slots[index].port = port;
      clusters_by_service[service].insert(index);
    }
    // First use in this run: the Service or its slices may have changed since.
    if (cluster_slots[index].refreshed != pass) refreshSlot(index, compute());
    cluster_slots[index].refs++;
    return index;
  }

  // Puts a freshly computed cluster in its slot; the snapshot gets a new pointer only when it
  // differs, so unchanged clusters stay shared.
  void refreshSlot(uint32_t index, snap::Cluster fresh) {
    ClusterSlot& slot = cluster_slots[index];
    if (!slot.cluster || slot.cluster->protocol != fresh.protocol || slot.cluster->endpoints != fresh.endpoints) {
      slot.cluster = std::make_shared<const snap::Cluster>(std::move(fresh));
      cluster_table.set(index, slot.cluster);
    }
    slot.refreshed = pass;
  }

  // New endpoints for the clusters of a Service whose slices changed; routes stay as they are.
  void refreshEndpoints(const ObjectKey& svc) {
    auto it = clusters_by_service.find(svc);
    if (it == clusters_by_service.end()) return;
    auto service = view->find(svc);
    for (uint32_t index : it->second) {
      const ClusterSlot& slot = cluster_slots[index];
      if (slot.refreshed == pass) continue;
      std::vector<snap::Endpoint> endpoints;
      if (service)
        if (auto sp = findServicePort(*service, slot.port)) endpoints = endpointsOf(*service, *sp);
      refreshSlot(index, snap::Cluster{slot.cluster->name, slot.cluster->protocol, std::move(endpoints)});
    }
  }

  void releaseCluster(uint32_t index) {
    ClusterSlot& slot = cluster_slots[index];
    if (--slot.refs > 0) return;
    cluster_index.erase(slot.cluster->name);
    if (auto it = clusters_by_service.find(slot.service); it != clusters_by_service.end()) {
      it->second.erase(index);
      if (it->second.empty()) clusters_by_service.erase(it);
    }
    slot = ClusterSlot{};
    cluster_table.set(index, nullptr);
    free_slots.push_back(index);
  }

  // ---- GatewayClass and Gateway ----
  void rebuildWorld() {
    classes.clear();
    gateways.clear();
    std::set<ObjectKey> owned;
    for (const auto& gc : view->ofKind("GatewayClass")) {
      const Json spec = gc->spec();
      if (str(spec, "controllerName") != options.controller_name) continue;
      classes.insert(gc->key.name);
      owned.insert(gc->key);
      Conditions conditions;
      if (model::has(spec, "parametersRef")) {
        // We take no parameters: a reference to anything is invalid, per the spec's reason.
        setCondition(conditions, {"Accepted", false, "InvalidParameters",
                                  "gatehouse takes no GatewayClass parameters"});
      } else {
        setCondition(conditions, {"Accepted", true, "Accepted", "Handled by " + options.controller_name});
      }
      setCondition(conditions, {"SupportedVersion", true, "SupportedVersion", "Gateway API v1.6"});
      Json features = Json::array();
      auto names = options.supported_features;
      std::sort(names.begin(), names.end());
      for (auto& f : names) features.push_back({{"name", f}});
      setStatus(gc->key, {{"conditions", toJson(conditions, gc->generation)}, {"supportedFeatures", features}});
    }
    buildGateways();
    for (auto& [name, gw] : gateways) owned.insert(gw.resource->key);
    std::vector<ObjectKey> gone;
    for (auto& [key, status] : statuses)
      if ((key.kind == "GatewayClass" || key.kind == "Gateway") && !owned.count(key)) gone.push_back(key);
    for (auto& key : gone) dropStatus(key);
  }

  void buildGateways() {
    AddressPool pool(options.address_pool);
    std::set<std::string> taken;
    std::vector<GatewayState*> need_pool;
    for (const auto& gw : view->ofKind("Gateway")) {
      const Json spec = gw->spec();
      if (!classes.count(str(spec, "gatewayClassName"))) continue;
      GatewayState& state = gateways[nsName(*gw)];
      state.resource = gw;
      // Addresses.
      std::optional<Condition> address_problem;
      for (const auto& a : arr(spec, "addresses")) {
        const std::string type = str(a, "type", "IPAddress"), value = str(a, "value");
        if (type != "IPAddress") {
          address_problem = Condition{"Accepted", false, "UnsupportedAddress",
                                      "address type " + type + " is not supported; use IPAddress"};
          break;
        }
        if (value.empty()) continue;  // a value-less entry asks for an assigned address
        if (!isIpLiteral(value)) {
          address_problem = Condition{"Accepted", false, "UnsupportedAddress", value + " is not an IP address"};
          break;
        }
        if (state.address.empty()) state.address = value;
      }
      if (address_problem) {
        state.accepted = false;
        setCondition(state.conditions, *address_problem);
      }
      if (model::has(obj(spec, "infrastructure"), "parametersRef")) {
        // Gatehouse defines no parameters resource, so any reference is one it cannot resolve.
        state.accepted = false;
        setCondition(state.conditions, {"Accepted", false, "InvalidParameters",
                                        "spec.infrastructure.parametersRef: gatehouse takes no parameters"});
      }
      if (!state.address.empty()) taken.insert(state.address);
      else need_pool.push_back(&state);
      listeners(state);
    }
    // Pool addresses: keep what each Gateway had, then hand out the lowest free ones.
    std::map<std::string, std::string> kept;
    for (auto* state : need_pool) {
      auto it = assignments.find(nsName(*state->resource));
      if (it != assignments.end() && !taken.count(it->second) && pool.contains(it->second)) {
        state->address = it->second;
        taken.insert(state->address);
      }
    }
    for (auto* state : need_pool) {
      if (!state->address.empty()) continue;
      if (auto next = pool.next(taken)) {
        state->address = *next;
        taken.insert(*next);
      }
    }
    for (auto* state : need_pool)
      if (!state->address.empty()) kept[nsName(*state->resource)] = state->address;
    assignments = std::move(kept);
  }

  // ---- listeners ----
  void listeners(GatewayState& gw) {
    const Json spec = gw.resource->spec();
    for (const auto& l : arr(spec, "listeners")) {
      ListenerState ls;
      ls.spec = l;
      ls.name = str(l, "name");
      ls.protocol = str(l, "protocol");
      ls.port = integer(l, "port", 0);
      ls.hostname = str(l, "hostname");
      gw.listeners.push_back(std::move(ls));
    }
    for (auto& ls : gw.listeners) listenerKinds(gw, ls);
    listenerConflicts(gw);
    for (auto& ls : gw.listeners) {
      if (!ls.accepted) continue;
      if (ls.protocol == "HTTPS") listenerTls(gw, ls);
    }
    for (auto& ls : gw.listeners) {
      if (!findCondition(ls.conditions, "Accepted")) setCondition(ls.conditions, {"Accepted", true, "Accepted", ""});
      if (!findCondition(ls.conditions, "ResolvedRefs"))
        setCondition(ls.conditions, {"ResolvedRefs", true, "ResolvedRefs", ""});
      if (!findCondition(ls.conditions, "Conflicted"))
        setCondition(ls.conditions, {"Conflicted", false, "NoConflicts", ""});
      const bool ok = ls.accepted && findCondition(ls.conditions, "ResolvedRefs")->status &&
                      !findCondition(ls.conditions, "Conflicted")->status;
      ls.usable = ok && gw.accepted;
      if (!findCondition(ls.conditions, "Programmed"))
        setCondition(ls.conditions, ok ? Condition{"Programmed", true, "Programmed", ""}
                                       : Condition{"Programmed", false, "Invalid", "listener is not valid"});
    }
  }

  void listenerKinds(GatewayState&, ListenerState& ls) {
    static const std::set<std::string> kSupportedProtocols = {"HTTP", "HTTPS"};
    if (!kSupportedProtocols.count(ls.protocol)) {
      ls.accepted = false;
      setCondition(ls.conditions, {"Accepted", false, "UnsupportedProtocol",
                                   "protocol " + ls.protocol + " is not supported"});
      return;
    }
    const std::set<std::string> allowed = {"HTTPRoute"};
    const Json& kinds = arr(obj(ls.spec, "allowedRoutes"), "kinds");
    if (kinds.empty()) {
      ls.supported_kinds = {"HTTPRoute"};
      return;
    }
    bool invalid = false;
    for (const auto& k : kinds) {
      const std::string group = str(k, "group", kGatewayGroup), kind = str(k, "kind");
      if (group == kGatewayGroup && allowed.count(kind)) {
        if (std::find(ls.supported_kinds.begin(), ls.supported_kinds.end(), kind) == ls.supported_kinds.end())
          ls.supported_kinds.push_back(kind);
      } else {
        invalid = true;
      }
    }
    if (invalid)
      setCondition(ls.conditions, {"ResolvedRefs", false, "InvalidRouteKinds",
                                   "allowedRoutes.kinds names a kind this listener cannot serve"});
  }

  void listenerConflicts(GatewayState& gw) {
    for (size_t i = 0; i < gw.listeners.size(); ++i) {
      auto& a = gw.listeners[i];
      if (!a.accepted) continue;
      for (size_t j = 0; j < i; ++j) {
        auto& b = gw.listeners[j];
        if (!b.accepted || a.port != b.port) continue;
        const char* reason = a.protocol != b.protocol ? "ProtocolConflict"
                             : a.hostname == b.hostname ? "HostnameConflict" : nullptr;
        if (!reason) continue;
        // The earlier listener keeps the port; the later one is conflicted.
        std::string msg = std::string("conflicts with listener ") + b.name;
        setCondition(a.conditions, {"Conflicted", true, reason, msg});
        setCondition(a.conditions, {"Accepted", false, reason, msg});
        setCondition(a.conditions, {"Programmed", false, reason, msg});
        a.accepted = false;
        break;
      }
    }
  }

  void listenerTls(GatewayState& gw, ListenerState& ls) {
    const Json& tls = obj(ls.spec, "tls");
    const Json& refs = arr(tls, "certificateRefs");
    auto fail = [&](const char* reason, const std::string& msg) {
      setCondition(ls.conditions, {"ResolvedRefs", false, reason, msg});
    };
    if (str(tls, "mode", "Terminate") != "Terminate") {
      setCondition(ls.conditions, {"Accepted", false, "UnsupportedTLSMode", "HTTPS listeners terminate TLS"});
      ls.accepted = false;
      return;
    }
    if (refs.empty()) return fail("InvalidCertificateRef", "HTTPS listener needs tls.certificateRefs");
    for (const auto& ref : refs) {
      const std::string group = str(ref, "group"), kind = str(ref, "kind", "Secret"), name = str(ref, "name");
      const std::string ns = str(ref, "namespace", gw.resource->key.ns);
      if (!group.empty() || kind != "Secret")
        return fail("InvalidCertificateRef", "certificateRefs must name core Secrets, not " + group + "/" + kind);
      if (!referenceAllowed(*view, {kGatewayGroup, "Gateway", gw.resource->key.ns}, {"", "Secret", ns, name}))
        return fail("RefNotPermitted", "no ReferenceGrant in " + ns + " allows this Gateway to use Secret " + name);
      auto secret = view->find(ObjectKey{"Secret", ns, name});
      if (!secret) return fail("InvalidCertificateRef", "Secret " + ns + "/" + name + " does not exist");
      auto cert = loadTlsSecret(*secret);
      if (!cert.certificate) return fail("InvalidCertificateRef", "Secret " + ns + "/" + name + ": " + cert.error);
      ls.certificates.push_back(std::move(*cert.certificate));
    }
  }

  // ---- HTTPRoute compilation ----
  // Resolves a backendRef; on failure returns nullopt and sets `problem` (ResolvedRefs=False).
  std::optional<uint32_t> resolveBackend(const model::Resource& route, const Json& ref,
                                         std::optional<Condition>& problem) {
    const std::string group = str(ref, "group"), kind = str(ref, "kind", "Service"), name = str(ref, "name");
    const std::string ns = str(ref, "namespace", route.key.ns);
    auto note = [&](Condition c) {
      if (!problem) problem = std::move(c);
    };
    if (!group.empty() || kind != "Service") {
      note({"ResolvedRefs", false, "InvalidKind", "backendRef kind " + group + "/" + kind + " is not supported"});
      return std::nullopt;
    }
    if (!referenceAllowed(*view, {kGatewayGroup, route.key.kind, route.key.ns}, {"", "Service", ns, name})) {
      note({"ResolvedRefs", false, "RefNotPermitted",
            "no ReferenceGrant in " + ns + " allows " + route.key.kind + " " + nsName(route) + " to use Service " +
                name});
      return std::nullopt;
    }
    ObjectKey service_key{"Service", ns, name};
    if (compiling) compiling->services.insert(service_key);
    auto service = view->find(service_key);
    if (!service) {
      note({"ResolvedRefs", false, "BackendNotFound", "Service " + ns + "/" + name + " does not exist"});
      return std::nullopt;
    }
    const int64_t port = integer(ref, "port", -1);
    auto sp = findServicePort(*service, port);
    if (!sp) {
      note({"ResolvedRefs", false, "BackendNotFound",
            "Service " + ns + "/" + name + " has no port " + std::to_string(port)});
      return std::nullopt;
    }
    const std::string cluster_name = ns + "/" + name + ":" + std::to_string(port);
    uint32_t index = internCluster(cluster_name, service_key, port, [&] {
      snap::UpstreamProtocol protocol = snap::UpstreamProtocol::Http1;
      if (sp->app_protocol == "kubernetes.io/h2c") protocol = snap::UpstreamProtocol::H2c;
      else if (sp->app_protocol == "kubernetes.io/ws") protocol = snap::UpstreamProtocol::WebSocket;
      return snap::Cluster{cluster_name, protocol, endpointsOf(*service, *sp)};
    });
    if (compiling) compiling->clusters.push_back(index);
    return index;
  }

  static snap::HeaderModifier headerModifier(const Json& j) {
    snap::HeaderModifier m;
    for (const auto& h : arr(j, "set")) m.set.emplace_back(str(h, "name"), str(h, "value"));
    for (const auto& h : arr(j, "add")) m.add.emplace_back(str(h, "name"), str(h, "value"));
    for (const auto& h : arr(j, "remove"))
      if (h.is_string()) m.remove.push_back(h.get<std::string>());
    return m;
  }

  static std::optional<snap::PathModifier> pathModifier(const Json& j) {
    if (j.empty()) return std::nullopt;
    snap::PathModifier p;
    if (str(j, "type") == "ReplacePrefixMatch") {
      p.type = snap::PathModifier::Type::ReplacePrefixMatch;
      p.value = str(j, "replacePrefixMatch");
    } else {
      p.value = str(j, "replaceFullPath");
    }
    return p;
  }

  // Compiles filters; an unsupported filter makes the rule answer 500 via `broken`.
  snap::Filters filters(const model::Resource& route, const Json& list, std::optional<Condition>& problem,
                        bool& broken) {
    snap::Filters f;
    for (const auto& filter : list) {
      const std::string type = str(filter, "type");
      if (type == "RequestHeaderModifier") {
        f.request_headers = headerModifier(obj(filter, "requestHeaderModifier"));
      } else if (type == "ResponseHeaderModifier") {
        f.response_headers = headerModifier(obj(filter, "responseHeaderModifier"));
      } else if (type == "RequestRedirect") {
        const Json& r = obj(filter, "requestRedirect");
        snap::RequestRedirect rr;
        if (r.contains("scheme") && r["scheme"].is_string()) rr.scheme = r["scheme"].get<std::string>();
        if (r.contains("hostname") && r["hostname"].is_string()) rr.hostname = r["hostname"].get<std::string>();
        if (r.contains("port") && r["port"].is_number_integer()) rr.port = static_cast<uint16_t>(r["port"].get<int>());
        rr.path = pathModifier(obj(r, "path"));
        rr.status_code = static_cast<uint16_t>(integer(r, "statusCode", 302));
        f.redirect = rr;
      } else if (type == "URLRewrite") {
        const Json& r = obj(filter, "urlRewrite");
        snap::UrlRewrite rw;
        if (r.contains("hostname") && r["hostname"].is_string()) rw.hostname = r["hostname"].get<std::string>();
        rw.path = pathModifier(obj(r, "path"));
        f.rewrite = rw;
      } else if (type == "RequestMirror") {
        const Json& m = obj(filter, "requestMirror");
        std::optional<Condition> mirror_problem;
        auto cluster = resolveBackend(route, obj(m, "backendRef"), mirror_problem);
        if (mirror_problem && !problem) problem = mirror_problem;
        if (cluster) {
          snap::RequestMirror mirror{*cluster, 100, 100};
          if (m.contains("percent")) mirror = {*cluster, static_cast<uint32_t>(integer(m, "percent", 100)), 100};
          if (m.contains("fraction")) {
            const Json& fr = m["fraction"];
            mirror = {*cluster, static_cast<uint32_t>(integer(fr, "numerator", 0)),
                      static_cast<uint32_t>(integer(fr, "denominator", 100))};
          }
          f.mirrors.push_back(mirror);
        }
      } else {
        // ExtensionRef, CORS, and filters not built yet: the spec says never to skip a filter;
        // requests that would have passed through it get an error response.
        broken = true;
        if (!problem && type == "ExtensionRef")
          problem = Condition{"ResolvedRefs", false, "InvalidKind", "ExtensionRef filters are not supported"};
      }
    }
    return f;
  }

  std::optional<snap::RouteMatch> compileMatch(const Json& m, std::string& error) {
    snap::RouteMatch out;
    const Json& path = obj(m, "path");
    const std::string ptype = str(path, "type", "PathPrefix");
    out.path.value = str(path, "value", "/");
    if (ptype == "Exact") out.path.type = snap::PathMatch::Type::Exact;
    else if (ptype == "RegularExpression") {
      out.path.type = snap::PathMatch::Type::RegularExpression;
      auto re = std::make_shared<re2::RE2>(out.path.value, re2::RE2::Quiet);
      if (!re->ok()) {
        error = "path regular expression " + out.path.value + ": " + re->error();
        return std::nullopt;
      }
      out.path.regex = std::move(re);
    }
    auto strings = [&](const Json& list, bool lower, std::vector<snap::StringMatch>& into) {
      for (const auto& h : list) {
        snap::StringMatch sm;
        sm.name = str(h, "name");
        if (lower) std::transform(sm.name.begin(), sm.name.end(), sm.name.begin(), ::tolower);
        sm.value = str(h, "value");
        if (str(h, "type", "Exact") == "RegularExpression") {
          sm.type = snap::StringMatch::Type::RegularExpression;
          auto re = std::make_shared<re2::RE2>(sm.value, re2::RE2::Quiet);
          if (!re->ok()) {
            error = "regular expression " + sm.value + ": " + re->error();
            return false;
          }
          sm.regex = std::move(re);
        }
        into.push_back(std::move(sm));
      }
      return true;
    };
    if (!strings(arr(m, "headers"), true, out.headers)) return std::nullopt;
    if (!strings(arr(m, "queryParams"), false, out.query_params)) return std::nullopt;
    if (m.contains("method") && m["method"].is_string()) out.method = m["method"].get<std::string>();
    return out;
  }

  void compileHttpRoute(const model::Resource& route, const Json& spec, CompiledRoute& cr) {
    for (const auto& h : arr(spec, "hostnames"))
      if (h.is_string()) cr.hostnames.push_back(h.get<std::string>());
    std::optional<Condition> problem;
    const Json& rules = arr(spec, "rules");
    cr.rules.reserve(rules.size());
    for (const auto& r : rules) {
      snap::Rule rule;
      rule.route = nsName(route);
      rule.name = str(r, "name");
      bool broken = false;
      rule.filters = filters(route, arr(r, "filters"), problem, broken);
      const Json& refs = arr(r, "backendRefs");
      for (const auto& ref : refs) {
        snap::WeightedBackend wb;
        wb.weight = static_cast<uint32_t>(integer(ref, "weight", 1));
        if (wb.weight == 0) continue;
        wb.cluster = resolveBackend(route, ref, problem);
        bool backend_broken = false;
        wb.filters = filters(route, arr(ref, "filters"), problem, backend_broken);
        if (backend_broken) wb.cluster.reset();
        rule.total_weight += wb.weight;
        rule.backends.push_back(std::move(wb));
      }
      if (broken) {
        // A filter we cannot apply: every backend of the rule answers 500.
        rule.filters.redirect.reset();
        rule.backends.assign(1, snap::WeightedBackend{});
        rule.total_weight = 1;
      }
      const Json& timeouts = obj(r, "timeouts");
      // A zero duration disables the timeout (HTTPRouteTimeouts).
      auto timeout = [&](const char* key) -> std::optional<uint32_t> {
        auto ms = parseDurationMs(str(timeouts, key));
        return ms && *ms > 0 ? ms : std::nullopt;
      };
      rule.request_timeout_ms = timeout("request");
      rule.backend_request_timeout_ms = timeout("backendRequest");
      std::vector<snap::RouteMatch> matches;
      Json match_list = arr(r, "matches");
      if (match_list.empty()) match_list = Json::array({Json::object()});
      for (const auto& m : match_list) {
        std::string error;
        auto compiled = compileMatch(m, error);
        if (!compiled) {
          cr.not_accepted = Condition{"Accepted", false, "UnsupportedValue", error};
          break;
        }
        matches.push_back(std::move(*compiled));
      }
      cr.rules.push_back(std::move(rule));
      cr.matches.push_back(std::move(matches));
    }
    if (problem) cr.resolved_refs = *problem;
  }

  // ---- HTTPRoute attachment ----

  // Compiles and attaches one route, or drops it when it is gone or not ours.
  // Only routes with a parent of ours get compiled and a status from us.
  bool ours(const model::Resource& route, const Json& spec) const {
    for (const auto& p : arr(spec, "parentRefs"))
      if (gateways.count(str(p, "namespace", route.key.ns) + "/" + str(p, "name"))) return true;
    return false;
  }

  void translateRoute(const ObjectKey& key) {
    auto route = view->find(key);
    const Json spec = route ? route->spec() : Json::object();
    if (!route || !ours(*route, spec)) {
      routes.erase(key);
      dropStatus(key);
      return;
    }
    auto record = std::make_unique<RouteRecord>();
    record->resource = route;
    record->ns_name = nsName(*route);
    compiling = record.get();
    compileHttpRoute(*route, spec, record->compiled);
    compiling = nullptr;
    for (const auto& svc : record->services) routes_by_service[svc].insert(key);
    attachParents(*record, spec);
    routes[key] = std::move(record);
  }

  // After the Gateways were rebuilt: attaches every compiled route not in `done` again, drops
  // those no longer ours and translates those that have become ours.
  void reattachAll(const std::set<ObjectKey>& done) {
    std::vector<ObjectKey> gone;
    for (auto& [key, record] : routes) {
      if (done.count(key)) continue;
      const Json spec = record->resource->spec();
      if (ours(*record->resource, spec)) attachParents(*record, spec);
      else gone.push_back(key);
    }
    for (const auto& key : gone) {
      detach(key);
      routes.erase(key);
      dropStatus(key);
    }
    for (const auto& route : view->ofKind("HTTPRoute"))
      if (!done.count(route->key) && !routes.count(route->key)) translateRoute(route->key);
  }

  // Attaches a compiled route to the parents it names and sets its status.
  void attachParents(RouteRecord& record, const Json& spec) {
    const model::Resource* route = record.resource.get();
    Json parents = Json::array();
    for (const auto& p : arr(spec, "parentRefs")) {
      const std::string group = str(p, "group", kGatewayGroup), kind = str(p, "kind", "Gateway");
      const std::string ns = str(p, "namespace", route->key.ns), name = str(p, "name");
      if (group != kGatewayGroup || kind != "Gateway") continue;
      auto gw_it = gateways.find(ns + "/" + name);
      if (gw_it == gateways.end()) continue;
      Conditions conditions;
      setCondition(conditions, attach(record, gw_it->first, gw_it->second, p));
      setCondition(conditions, record.compiled.resolved_refs);
      Json parent_ref = {{"group", group}, {"kind", kind}, {"namespace", ns}, {"name", name}};
      if (p.contains("sectionName")) parent_ref["sectionName"] = p["sectionName"];
      if (p.contains("port")) parent_ref["port"] = p["port"];
      parents.push_back({{"parentRef", parent_ref},
                         {"controllerName", options.controller_name},
                         {"conditions", toJson(conditions, route->generation)}});
    }
    setStatus(route->key, {{"parents", parents}});
  }

  // Attaches a route to the listeners a parentRef selects; returns the Accepted condition.
  Condition attach(RouteRecord& record, const std::string& gw_name, GatewayState& gw, const Json& ref) {
    const model::Resource& route = *record.resource;
    const CompiledRoute& compiled = record.compiled;
    if (compiled.not_accepted) return *compiled.not_accepted;
    const std::string section = str(ref, "sectionName");
    const int64_t port = integer(ref, "port", 0);
    bool any_listener = false, kind_or_ns_ok = false, attached = false;
    for (size_t li = 0; li < gw.listeners.size(); ++li) {
      auto& ls = gw.listeners[li];
      if (!section.empty() && ls.name != section) continue;
      if (port != 0 && ls.port != port) continue;
      any_listener = true;
      // Routes attach to (and are counted on) every accepted listener, also one whose refs are
      // unresolved; only usable listeners serve them.
      if (!ls.accepted) continue;
      if (std::find(ls.supported_kinds.begin(), ls.supported_kinds.end(), route.key.kind) == ls.supported_kinds.end())
        continue;
      const Json& ns_rule = obj(obj(ls.spec, "allowedRoutes"), "namespaces");
      const std::string from = str(ns_rule, "from", "Same");
      bool ns_ok = from == "All" || (from == "Same" && route.key.ns == gw.resource->key.ns) ||
                   (from == "Selector" &&
                    selectorMatches(obj(ns_rule, "selector"), namespaceLabels(*view, route.key.ns)));
      if (!ns_ok) continue;
      kind_or_ns_ok = true;
      auto hosts = intersectHostnames(ls.hostname, compiled.hostnames);
      if (!hosts) continue;
      attached = true;
      ls.attached++;
      gateways_dirty = true;
      record.counted_on.emplace_back(gw_name, li);
      for (const auto& host : *hosts) {
        auto& candidates = ls.routes[host];
        for (size_t ri = 0; ri < compiled.rules.size(); ++ri)
          for (size_t mi = 0; mi < compiled.matches[ri].size(); ++mi)
            candidates.push_back({&compiled.matches[ri][mi], &compiled.rules[ri], &record, ri, mi});
        ls.dirty_hosts.insert(host);
        record.placements.push_back({gw_name, li, host});
      }
    }
    if (attached) return {"Accepted", true, "Accepted", "Accepted by " + nsName(*gw.resource)};
    if (!any_listener) return {"Accepted", false, "NoMatchingParent", "no listener matches the parentRef"};
    if (!kind_or_ns_ok)
      return {"Accepted", false, "NotAllowedByListeners", "no listener of the parent allows this route"};
    return {"Accepted", false, "NoMatchingListenerHostname", "no listener hostname intersects the route's"};
  }

  // Undoes what a route's last translation added to the listeners, clusters and indexes.
  void detach(const ObjectKey& key) {
    auto it = routes.find(key);
    if (it == routes.end()) return;
    RouteRecord& record = *it->second;
    for (const auto& p : record.placements) {
      auto gw = gateways.find(p.gateway);
      if (gw == gateways.end() || p.listener >= gw->second.listeners.size()) continue;
      auto& ls = gw->second.listeners[p.listener];
      auto host = ls.routes.find(p.host);
      if (host == ls.routes.end()) continue;
      std::erase_if(host->second, [&](const RouteCandidate& c) { return c.owner == &record; });
      if (host->second.empty()) ls.routes.erase(host);
      ls.dirty_hosts.insert(p.host);
    }
    for (const auto& [gw_name, li] : record.counted_on) {
      auto gw = gateways.find(gw_name);
      if (gw != gateways.end() && li < gw->second.listeners.size()) {
        gw->second.listeners[li].attached--;
        gateways_dirty = true;
      }
    }
    record.placements.clear();
    record.counted_on.clear();
    for (const auto& svc : record.services) {
      auto deps = routes_by_service.find(svc);
      if (deps == routes_by_service.end()) continue;
      deps->second.erase(key);
      if (deps->second.empty()) routes_by_service.erase(deps);
    }
    release(record);
  }

  void release(RouteRecord& record) {
    for (uint32_t index : record.clusters) releaseCluster(index);
    record.clusters.clear();
  }

  // ---- host tables ----

  // Rebuilds the tables of the hosts whose candidates changed. A host's table holds its own
  // routes first, then those of the wildcards that cover it (longest first), then host-less
  // routes: the spec gives precedence to the route with the most specific matching hostname,
  // and a request that none of those match falls through to the broader ones. So a change
  // under a wildcard or under "any" rebuilds every table of the listener.
  void rebuildTables(ListenerState& ls) {
    if (!ls.all_dirty && ls.dirty_hosts.empty()) return;
    bool all = ls.all_dirty;
    for (const auto& h : ls.dirty_hosts) all |= isWildcardOrAny(h);
    auto byPrecedence = [](const RouteCandidate& a, const RouteCandidate& b) {
      if (http::precedes(*a.match, *b.match)) return true;
      if (http::precedes(*b.match, *a.match)) return false;
      const model::Resource& ra = *a.owner->resource;
      const model::Resource& rb = *b.owner->resource;
      if (ra.creation_timestamp != rb.creation_timestamp) return ra.creation_timestamp < rb.creation_timestamp;
      if (a.owner->ns_name != b.owner->ns_name) return a.owner->ns_name < b.owner->ns_name;
      if (a.rule_index != b.rule_index) return a.rule_index < b.rule_index;
      return a.match_index < b.match_index;
    };
    std::vector<std::string> wildcards;
    for (auto it = ls.routes.lower_bound("*."); it != ls.routes.end() && it->first.rfind("*.", 0) == 0; ++it)
      wildcards.push_back(it->first);
    std::sort(wildcards.begin(), wildcards.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    auto build = [&](const std::string& host) -> snap::RouteTablePtr {
      auto own = ls.routes.find(host);
      if (own == ls.routes.end()) return nullptr;
      std::stable_sort(own->second.begin(), own->second.end(), byPrecedence);
      std::vector<const std::vector<RouteCandidate>*> chain = {&own->second};
      if (!host.empty()) {
        const std::string name = host.rfind("*.", 0) == 0 ? host.substr(2) : host;
        for (auto& w : wildcards)
          if (w != host && wildcardMatches(w, name)) chain.push_back(&ls.routes[w]);
        if (auto any = ls.routes.find(""); any != ls.routes.end()) chain.push_back(&any->second);
      }
      auto rt = std::make_shared<snap::RouteTable>();
      std::unordered_map<const snap::Rule*, uint32_t> rule_index;
      for (const auto* list : chain) {
        for (const auto& c : *list) {
          auto [it, inserted] = rule_index.emplace(c.rule, static_cast<uint32_t>(rt->rules.size()));
          if (inserted) rt->rules.push_back(*c.rule);
          rt->entries.push_back({*c.match, it->second});
        }
      }
      return rt;
    };
    if (all) {
      // Wildcard and "any" lists are sorted first: the other tables copy them in order.
      for (auto& [host, candidates] : ls.routes)
        if (isWildcardOrAny(host)) std::stable_sort(candidates.begin(), candidates.end(), byPrecedence);
      snap::HostTable table;
      for (auto& [host, candidates] : ls.routes) {
        auto rt = build(host);
        if (host.empty()) table.any = std::move(rt);
        else if (host.rfind("*.", 0) == 0) table.wildcard_suffix.emplace_back(host.substr(1), std::move(rt));
        else table.setExact(host, std::move(rt));
      }
      std::stable_sort(table.wildcard_suffix.begin(), table.wildcard_suffix.end(),
                       [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
      ls.host_table = std::move(table);
    } else {
      for (const auto& host : ls.dirty_hosts) ls.host_table.setExact(host, build(host));
    }
    ls.dirty_hosts.clear();
    ls.all_dirty = false;
  }

  // ---- Gateway status ----
  void gatewayStatuses() {
    if (!gateways_dirty) return;
    gateways_dirty = false;
    for (auto& [key, gw] : gateways) {
      const auto& r = *gw.resource;
      bool any_invalid = false, all_invalid = !gw.listeners.empty();
      for (auto& ls : gw.listeners) {
        bool valid = ls.accepted && !findCondition(ls.conditions, "Conflicted")->status;
        any_invalid |= !valid || !findCondition(ls.conditions, "ResolvedRefs")->status;
        all_invalid &= !valid;
      }
      if (gw.accepted) {
        if (all_invalid) {
          gw.accepted = false;
          setCondition(gw.conditions, {"Accepted", false, "ListenersNotValid", "no listener is valid"});
        } else if (any_invalid) {
          setCondition(gw.conditions, {"Accepted", true, "ListenersNotValid", "some listeners are not valid"});
        } else {
          setCondition(gw.conditions, {"Accepted", true, "Accepted", ""});
        }
      }
      Json addresses = Json::array();
      auto not_usable = unusable.find(gw.address);
      if (!gw.accepted) {
        setCondition(gw.conditions, {"Programmed", false, "Invalid", "the Gateway is not accepted"});
      } else if (gw.address.empty()) {
        setCondition(gw.conditions, {"Programmed", false, "AddressNotAssigned", "the address pool is exhausted"});
      } else if (not_usable != unusable.end()) {
        setCondition(gw.conditions, {"Programmed", false, "AddressNotUsable", not_usable->second});
      } else {
        setCondition(gw.conditions, {"Programmed", true, "Programmed", ""});
        addresses.push_back({{"type", "IPAddress"}, {"value", gw.address}});
      }
      Json listener_statuses = Json::array();
      for (auto& ls : gw.listeners) {
        Json kinds = Json::array();
        for (auto& k : ls.supported_kinds) kinds.push_back({{"group", kGatewayGroup}, {"kind", k}});
        listener_statuses.push_back({{"name", ls.name},
                                     {"supportedKinds", kinds},
                                     {"attachedRoutes", ls.attached},
                                     {"conditions", toJson(ls.conditions, r.generation)}});
      }
      setStatus(r.key, {{"addresses", addresses},
                        {"conditions", toJson(gw.conditions, r.generation)},
                        {"listeners", listener_statuses}});
    }
  }

  // ---- snapshot ----
  snap::SnapshotPtr buildSnapshot() {
    auto snapshot = std::make_shared<snap::Snapshot>();
    snapshot->version = view->revision;
    std::map<std::pair<std::string, int64_t>, snap::Socket> sockets;
    for (auto& [key, gw] : gateways) {
      if (!gw.accepted || gw.address.empty()) continue;
      for (auto& ls : gw.listeners) {
        if (!ls.usable) continue;
        snap::Socket& socket = sockets[{gw.address, ls.port}];
        socket.address = gw.address;
        socket.port = static_cast<uint16_t>(ls.port);
        socket.transport = ls.protocol == "HTTPS" ? snap::Transport::Tls : snap::Transport::Tcp;
        socket.kind = snap::ListenerKind::HttpConnectionManager;
        snap::Listener listener;
        listener.gateway = key;
        listener.name = ls.name;
        listener.hostname = ls.hostname;
        listener.certificates = ls.certificates;
        listener.hosts = ls.host_table;
        socket.listeners.push_back(std::move(listener));
      }
    }
    for (auto& [k, socket] : sockets) {
      // Most specific listener hostname first: exact, then longer wildcards, then any.
      std::stable_sort(socket.listeners.begin(), socket.listeners.end(), [](const auto& a, const auto& b) {
        auto rank = [](const std::string& h) { return h.empty() ? 2 : h[0] == '*' ? 1 : 0; };
        if (rank(a.hostname) != rank(b.hostname)) return rank(a.hostname) < rank(b.hostname);
        return a.hostname.size() > b.hostname.size();
      });
      snapshot->sockets.push_back(std::move(socket));
    }
    snapshot->clusters = cluster_table;
    return snapshot;
  }
};

Translator::Translator(Options options) : state_(std::make_unique<State>(std::move(options))) {}
Translator::~Translator() = default;

Translator::Result Translator::update(const store::View& view, const std::set<ObjectKey>& changed) {
  return state_->update(view, changed);
}

void Translator::setUnusableAddresses(std::map<std::string, std::string> unusable) {
  state_->unusable = std::move(unusable);
  state_->gateways_dirty = true;
}

const std::map<std::string, std::string>& Translator::poolAssignments() const { return state_->assignments; }

void Translator::setPoolAssignments(std::map<std::string, std::string> assignments) {
  state_->assignments = std::move(assignments);
}

Output translate(const Options& options, const Input& input) {
  Translator translator(options);
  translator.setPoolAssignments(input.pool_assignments);
  translator.setUnusableAddresses(input.unusable_addresses);
  auto result = translator.update(*input.view, {});
  Output out;
  for (const auto& [key, status] : result.changed) out.statuses.emplace(key, status->unpack());  // all: a first run
  out.snapshot = std::move(result.snapshot);
  out.pool_assignments = translator.poolAssignments();
  return out;
}

}  // namespace gatehouse::translator
