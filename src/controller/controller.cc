#include "controller/controller.h"

#include <chrono>

#include "common/log.h"
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

Controller::Controller(translator::Options options, SnapshotSink* sink, StatusBoard* board)
    : options_(std::move(options)), sink_(sink), board_(board) {}

void Controller::onFiles(const std::vector<providers::FileChange>& changes) {
  std::lock_guard lock(mu_);
  bool changed = false;
  for (const auto& c : changes) {
    changed |= c.removed ? store_.removeFile(c.path) : store_.applyFile(c.path, c.content);
    for (const auto& e : store_.errors(c.path)) spdlog::error("config: {}", e.str());
  }
  for (const auto& kind : store_.takeNewlyUnhandledKinds())
    spdlog::info("config: kind {} is not handled by gatehouse; such objects are kept, not served", kind);
  auto errors = store_.errors();
  if (changed || errors.size() != reported_errors_ || !board_->ready()) {
    reported_errors_ = errors.size();
    reconcile();
  }
}

void Controller::retryUnusable() {
  std::lock_guard lock(mu_);
  if (!unusable_.empty()) reconcile();
}

void Controller::reconcile() {
  using Clock = std::chrono::steady_clock;
  auto us = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration_cast<std::chrono::microseconds>(b - a).count();
  };
  const auto started = Clock::now();
  auto view = store_.view();
  translator::Input input{view.get(), pool_assignments_, unusable_};
  auto out = translator::translate(options_, input);
  const auto translated = Clock::now();
  auto unusable = sink_ ? sink_->apply(out.snapshot) : std::map<std::string, std::string>{};
  const auto applied = Clock::now();
  if (unusable != unusable_) {
    // Status must tell which addresses did not bind; the data plane already serves the rest.
    unusable_ = std::move(unusable);
    input.unusable_addresses = unusable_;
    auto with_errors = translator::translate(options_, input);
    out.statuses = std::move(with_errors.statuses);
  }
  pool_assignments_ = out.pool_assignments;
  publish(*view, out);
  const auto published = Clock::now();
  spdlog::info("config revision {} live: {} sockets, {} clusters, {} objects; translate {} us, apply {} us, status {} us",
               view->revision, out.snapshot->sockets.size(), out.snapshot->clusters.size(), view->objects.size(),
               us(started, translated), us(translated, applied), us(applied, published));
}

Json Controller::statusWithTransitions(const model::ObjectKey& key, Json status) {
  // lastTransitionTime changes only when a condition's status changes.
  const std::string now = store::nowRfc3339();
  auto previous = statuses_.find(key);
  std::function<void(Json&, const Json*)> walk = [&](Json& node, const Json* old) {
    if (node.is_object()) {
      if (node.contains("conditions") && node["conditions"].is_array()) {
        for (auto& c : node["conditions"]) {
          std::string when = now;
          if (old && old->contains("conditions")) {
            for (auto& oc : (*old)["conditions"])
              if (oc.value("type", "") == c.value("type", "") && oc.value("status", "") == c.value("status", ""))
                when = oc.value("lastTransitionTime", now);
          }
          c["lastTransitionTime"] = when;
        }
      }
      for (auto& [k, v] : node.items()) {
        if (k == "conditions") continue;
        const Json* child = (old && old->is_object() && old->contains(k)) ? &(*old)[k] : nullptr;
        walk(v, child);
      }
    } else if (node.is_array()) {
      for (size_t i = 0; i < node.size(); ++i) {
        const Json* child = (old && old->is_array() && i < old->size()) ? &(*old)[i] : nullptr;
        walk(node[i], child);
      }
    }
  };
  walk(status, previous == statuses_.end() ? nullptr : &previous->second);
  return status;
}

void Controller::publish(const store::View& view, const translator::Output& out) {
  std::map<model::ObjectKey, Json> statuses;
  auto items = std::make_shared<Json>(Json::array());
  auto infra = std::make_shared<Json>(Json::array());
  for (const auto& [key, resource] : view.objects) {
    if (!isGatewayApiKind(key.kind)) continue;
    Json item = resource->object;
    auto st = out.statuses.find(key);
    if (st != out.statuses.end()) {
      statuses[key] = statusWithTransitions(key, st->second);
      item["status"] = statuses[key];
    }
    items->push_back(std::move(item));
    if (key.kind == "Gateway" && st != out.statuses.end()) {
      // Emulated data-plane objects, as an in-cluster deployment would create per Gateway.
      Json labels = {{"gateway.networking.k8s.io/gateway-name", key.name}};
      Json annotations = Json::object();
      const Json& infrastructure = model::obj(resource->spec(), "infrastructure");
      for (auto& [k, v] : model::obj(infrastructure, "labels").items()) labels[k] = v;
      for (auto& [k, v] : model::obj(infrastructure, "annotations").items()) annotations[k] = v;
      for (const char* kind : {"ServiceAccount", "Pod", "Service"}) {
        infra->push_back({{"apiVersion", "v1"},
                          {"kind", kind},
                          {"metadata",
                           {{"name", key.name + "-gatehouse"},
                            {"namespace", key.ns},
                            {"labels", labels},
                            {"annotations", annotations}}}});
      }
    }
  }
  statuses_ = std::move(statuses);
  Json errors = Json::array();
  for (const auto& e : store_.errors())
    errors.push_back({{"file", e.file}, {"object", e.object}, {"field", e.field}, {"reason", e.reason}});
  auto list = [](std::shared_ptr<Json> a) {
    return std::make_shared<const Json>(Json{{"apiVersion", "v1"}, {"kind", "List"}, {"items", std::move(*a)}});
  };
  board_->publish(list(items), std::make_shared<const Json>(snapshot::toJson(*out.snapshot)), list(infra),
                  std::make_shared<const Json>(std::move(errors)));
}

std::vector<store::ConfigError> Controller::errors() const { return store_.errors(); }

}  // namespace gatehouse::controller
