#include "controller/status_board.h"

#include "model/json_access.h"
#include "snapshot/dump.h"

namespace gatehouse::controller {

using model::Json;

namespace {

Json list(Json items) { return {{"apiVersion", "v1"}, {"kind", "List"}, {"items", std::move(items)}}; }

Json renderObjects(const ObjectTable& table) {
  Json items = Json::array();
  for (const auto& [key, entry] : table.sorted()) {
    if (!entry->object || !(isGatewayApiKind(key->kind) || isGatehousePolicyKind(key->kind))) continue;
    Json item = entry->object->object();
    if (entry->status) item["status"] = entry->status->unpack();
    items.push_back(std::move(item));
  }
  return list(std::move(items));
}

// The objects an in-cluster install would create per Gateway, labelled as the spec's
// infrastructure propagation requires.
Json renderInfrastructure(const ObjectTable& table) {
  Json items = Json::array();
  for (const auto& [key, entry] : table.sorted()) {
    if (key->kind != "Gateway" || !entry->object || !entry->status) continue;  // no status: not ours
    Json labels = {{"gateway.networking.k8s.io/gateway-name", key->name}};
    Json annotations = Json::object();
    const Json spec = entry->object->spec();
    const Json& infrastructure = model::obj(spec, "infrastructure");
    for (auto& [k, v] : model::obj(infrastructure, "labels").items()) labels[k] = v;
    for (auto& [k, v] : model::obj(infrastructure, "annotations").items()) annotations[k] = v;
    for (const char* kind : {"ServiceAccount", "Pod", "Service"}) {
      items.push_back({{"apiVersion", "v1"},
                       {"kind", kind},
                       {"metadata",
                        {{"name", key->name + "-gatehouse"},
                         {"namespace", key->ns},
                         {"labels", labels},
                         {"annotations", annotations}}}});
    }
  }
  return list(std::move(items));
}

Json renderErrors(const std::vector<store::ConfigError>& errors) {
  Json out = Json::array();
  for (const auto& e : errors)
    out.push_back({{"file", e.source}, {"object", e.object}, {"field", e.field}, {"reason", e.reason}});
  return out;
}

}  // namespace

void StatusBoard::publish(const Publication& publication) {
  auto p = std::make_shared<Published>();
  p->snapshot = publication.snapshot;
  p->objects = publication.objects;
  p->errors = publication.errors;
  std::lock_guard lock(mu_);
  current_ = std::move(p);
}

std::shared_ptr<StatusBoard::Published> StatusBoard::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

StatusBoard::Doc StatusBoard::render(Doc Published::*slot, const std::function<Json(const Published&)>& render) const {
  auto p = current();
  if (!p) return nullptr;
  std::lock_guard lock(p->render_mu);
  Doc& doc = (*p).*slot;
  if (!doc) doc = std::make_shared<const Json>(render(*p));
  return doc;
}

StatusBoard::Doc StatusBoard::objects() const {
  return render(&Published::objects_doc, [](const Published& p) { return renderObjects(*p.objects); });
}

StatusBoard::Doc StatusBoard::config() const {
  return render(&Published::config_doc, [](const Published& p) { return snapshot::toJson(*p.snapshot); });
}

StatusBoard::Doc StatusBoard::infrastructure() const {
  return render(&Published::infrastructure_doc, [](const Published& p) { return renderInfrastructure(*p.objects); });
}

StatusBoard::Doc StatusBoard::errors() const {
  return render(&Published::errors_doc, [](const Published& p) { return renderErrors(*p.errors); });
}

bool StatusBoard::ready() const { return current() != nullptr; }

}  // namespace gatehouse::controller
