#include "controller/status_board.h"

#include <set>

#include "model/json_access.h"
#include "snapshot/dump.h"

namespace gatehouse::controller {

using model::Json;

bool isGatewayApiKind(const std::string& kind) {
  static const std::set<std::string> kKinds = {"GatewayClass", "Gateway",   "ListenerSet", "HTTPRoute",
                                               "GRPCRoute",    "TLSRoute",  "TCPRoute",    "UDPRoute",
                                               "ReferenceGrant", "BackendTLSPolicy"};
  return kKinds.count(kind) > 0;
}

namespace {

Json list(Json items) { return {{"apiVersion", "v1"}, {"kind", "List"}, {"items", std::move(items)}}; }

Json renderObjects(const store::View& view, const Statuses& statuses) {
  Json items = Json::array();
  for (const auto& [key, resource] : view.objects) {
    if (!isGatewayApiKind(key.kind)) continue;
    Json item = resource->object();
    if (auto st = statuses.find(key); st != statuses.end()) item["status"] = st->second.unpack();
    items.push_back(std::move(item));
  }
  return list(std::move(items));
}

// The objects an in-cluster install would create per Gateway, labelled as the spec's
// infrastructure propagation requires.
Json renderInfrastructure(const store::View& view, const Statuses& statuses) {
  Json items = Json::array();
  for (const auto& resource : view.ofKind("Gateway")) {
    if (!statuses.count(resource->key)) continue;  // not ours
    Json labels = {{"gateway.networking.k8s.io/gateway-name", resource->key.name}};
    Json annotations = Json::object();
    const Json spec = resource->spec();
    const Json& infrastructure = model::obj(spec, "infrastructure");
    for (auto& [k, v] : model::obj(infrastructure, "labels").items()) labels[k] = v;
    for (auto& [k, v] : model::obj(infrastructure, "annotations").items()) annotations[k] = v;
    for (const char* kind : {"ServiceAccount", "Pod", "Service"}) {
      items.push_back({{"apiVersion", "v1"},
                       {"kind", kind},
                       {"metadata",
                        {{"name", resource->key.name + "-gatehouse"},
                         {"namespace", resource->key.ns},
                         {"labels", labels},
                         {"annotations", annotations}}}});
    }
  }
  return list(std::move(items));
}

}  // namespace

void StatusBoard::setSource(std::function<Sources()> source) {
  std::lock_guard lock(mu_);
  source_ = std::move(source);
}

void StatusBoard::publish(snapshot::SnapshotPtr snapshot, std::shared_ptr<const Json> errors) {
  auto p = std::make_shared<Publication>();
  p->snapshot = std::move(snapshot);
  p->errors = std::move(errors);
  std::lock_guard lock(mu_);
  current_ = std::move(p);
}

const StatusBoard::Sources& StatusBoard::sourcesOf(const Publication& p) const {
  if (!p.sources) {
    std::function<Sources()> source;
    {
      std::lock_guard lock(mu_);
      source = source_;
    }
    p.sources = source ? source() : Sources{};
    if (!p.sources->view) p.sources->view = std::make_shared<const store::View>();
    if (!p.sources->statuses) p.sources->statuses = std::make_shared<const Statuses>();
  }
  return *p.sources;
}

std::shared_ptr<const StatusBoard::Publication> StatusBoard::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

StatusBoard::Doc StatusBoard::objects() const {
  auto p = current();
  if (!p) return nullptr;
  std::lock_guard lock(p->render_mu);
  if (!p->objects) {
    const auto& sources = sourcesOf(*p);
    p->objects = std::make_shared<const Json>(renderObjects(*sources.view, *sources.statuses));
  }
  return p->objects;
}

StatusBoard::Doc StatusBoard::config() const {
  auto p = current();
  if (!p) return nullptr;
  std::lock_guard lock(p->render_mu);
  if (!p->config) p->config = std::make_shared<const Json>(snapshot::toJson(*p->snapshot));
  return p->config;
}

StatusBoard::Doc StatusBoard::infrastructure() const {
  auto p = current();
  if (!p) return nullptr;
  std::lock_guard lock(p->render_mu);
  if (!p->infrastructure) {
    const auto& sources = sourcesOf(*p);
    p->infrastructure = std::make_shared<const Json>(renderInfrastructure(*sources.view, *sources.statuses));
  }
  return p->infrastructure;
}

StatusBoard::Doc StatusBoard::errors() const {
  auto p = current();
  return p ? p->errors : nullptr;
}

bool StatusBoard::ready() const { return current() != nullptr; }

}  // namespace gatehouse::controller
