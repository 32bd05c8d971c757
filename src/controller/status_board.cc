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
    Json item = resource->object;
    if (auto st = statuses.find(key); st != statuses.end()) item["status"] = st->second;
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
    const Json& infrastructure = model::obj(resource->spec(), "infrastructure");
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

void StatusBoard::publish(std::shared_ptr<const store::View> view, std::shared_ptr<const Statuses> statuses,
                          snapshot::SnapshotPtr snapshot, std::shared_ptr<const Json> errors) {
  auto p = std::make_shared<Publication>();
  p->view = std::move(view);
  p->statuses = std::move(statuses);
  p->snapshot = std::move(snapshot);
  p->errors = std::move(errors);
  std::lock_guard lock(mu_);
  current_ = std::move(p);
}

std::shared_ptr<const StatusBoard::Publication> StatusBoard::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

StatusBoard::Doc StatusBoard::objects() const {
  auto p = current();
  if (!p) return nullptr;
  std::lock_guard lock(p->render_mu);
  if (!p->objects) p->objects = std::make_shared<const Json>(renderObjects(*p->view, *p->statuses));
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
  if (!p->infrastructure) p->infrastructure = std::make_shared<const Json>(renderInfrastructure(*p->view, *p->statuses));
  return p->infrastructure;
}

StatusBoard::Doc StatusBoard::errors() const {
  auto p = current();
  return p ? p->errors : nullptr;
}

bool StatusBoard::ready() const { return current() != nullptr; }

}  // namespace gatehouse::controller
