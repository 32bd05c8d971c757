#include "controller/controller.h"

#include <chrono>
#include <utility>

#include "common/log.h"
#include "common/parallel.h"

namespace gatehouse::controller {

using model::Json;

Controller::Controller(translator::Options options, SnapshotSink* sink, std::vector<StatusSink*> status_sinks,
                       store::Generation generation)
    : sink_(sink), status_sinks_(std::move(status_sinks)), store_({}, generation), translator_(std::move(options)) {}

bool Controller::apply(std::vector<store::SourceUpdate> updates) {
  // Defaulting and validating an update depends on nothing but the update: a large batch (the
  // first listing, a bulk rewrite) is prepared on every core, then applied in order here.
  std::vector<store::PreparedUpdate> prepared(updates.size());
  constexpr size_t kUpdatesPerThread = 32;
  parallelFor(updates.size(), kUpdatesPerThread, [&](size_t i) { prepared[i] = store::Store::prepare(std::move(updates[i])); });
  bool changed = false;
  for (auto& update : prepared) {
    const std::string source = update.source;
    changed |= store_.apply(std::move(update));
    for (const auto& e : store_.errors(source)) spdlog::error("config: {}", e.str());
  }
  for (const auto& kind : store_.takeNewlyUnhandledKinds())
    spdlog::info("config: kind {} is not handled by gatehouse; such objects are kept, not served", kind);
  return changed;
}

void Controller::load(std::vector<store::SourceUpdate> part) {
  std::lock_guard lock(mu_);
  apply(std::move(part));
}

void Controller::update(std::vector<store::SourceUpdate> batch) {
  std::lock_guard lock(mu_);
  const bool changed = apply(std::move(batch));
  if (changed || store_.errorsRevision() != reported_errors_ || !published_) {
    reported_errors_ = store_.errorsRevision();
    reconcile();
  }
}

void Controller::retryUnusable() {
  std::lock_guard lock(mu_);
  if (!unusable_.any() || !sink_) return;
  UnusableAddresses::Statuses changed;
  unusable_.apply(changed, sink_->apply(live_snapshot_));
  gate_.apply(changed);
  if (!changed.empty()) publish(std::move(changed));
}

void Controller::setLiveGateways(std::set<std::string> live) {
  std::lock_guard lock(mu_);
  UnusableAddresses::Statuses changed;
  gate_.setLive(changed, std::move(live));
  if (!changed.empty() && published_) publish(std::move(changed));
}

void Controller::setDataPlaneAddresses(std::map<std::string, Json> addresses) {
  std::lock_guard lock(mu_);
  UnusableAddresses::Statuses changed;
  gate_.setAddresses(changed, std::move(addresses));
  if (!changed.empty() && published_) publish(std::move(changed));
}

void Controller::reconcile() {
  using Clock = std::chrono::steady_clock;
  auto us = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration_cast<std::chrono::microseconds>(b - a).count();
  };
  const auto started = Clock::now();
  const store::View& view = store_.live();
  translator::Translator::Result result;
  {
    const auto changed_objects = store_.takeChanges();
    result = translator_.update(view, changed_objects);
    for (const auto& key : changed_objects)
      if (isTabledKind(key.kind)) table_.setObject(key, view.find(key));
    objects_changed_.assign(changed_objects.begin(), changed_objects.end());
  }  // freed before the statuses are stamped, whose allocations then reuse the space: keeping it
     // to the end of the first load left ~1 MiB more resident at 5,000 routes (bench/smoke.py)
  const auto translated = Clock::now();
  live_snapshot_ = result.snapshot;
  // Status must tell which addresses did not bind; the data plane already serves the rest.
  unusable_.apply(result.changed, sink_ ? sink_->apply(result.snapshot) : std::map<std::string, std::string>{});
  gate_.apply(result.changed);
  const auto applied = Clock::now();
  const size_t statuses_changed = result.changed.size();
  translation_ = translated - started;
  publish(std::move(result.changed));
  const auto published = Clock::now();
  spdlog::info("config revision {} live: {} sockets, {} clusters, {} objects, {} statuses changed{}; translate {} us, apply {} us, status {} us",
               view.revision, result.snapshot->sockets.size(), result.snapshot->clusters.size(), view.objects.size(),
               statuses_changed, result.full ? " (full)" : "", us(started, translated), us(translated, applied),
               us(applied, published));
}

Json Controller::statusWithTransitions(const Json& status, const Json* previous) {
  // lastTransitionTime changes only when a condition's status changes.
  const std::string now = store::nowRfc3339();
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
  Json out = status;
  walk(out, previous);
  return out;
}

void Controller::publish(UnusableAddresses::Statuses changed) {
  // Only statuses that changed are re-stamped.
  for (auto& [key, status] : changed) {
    if (!status) {
      table_.setStatus(key, std::nullopt);
      continue;
    }
    const ObjectTable::Entry* entry = table_.find(key);
    const bool had = entry && entry->status;
    const Json previous = had ? entry->status->unpack() : Json();
    table_.setStatus(key, model::Packed(statusWithTransitions(status->unpack(), had ? &previous : nullptr)));
  }
  Publication publication;
  publication.revision = store_.live().revision;
  publication.snapshot = live_snapshot_;
  publication.objects = table_.share();
  publication.errors = std::make_shared<const std::vector<store::ConfigError>>(store_.errors());
  publication.translation = std::exchange(translation_, std::nullopt);
  publication.objects_changed = std::exchange(objects_changed_, {});
  publication.changed.reserve(changed.size());
  for (const auto& [key, status] : changed) {
    const ObjectTable::Entry* entry = publication.objects->find(key);
    publication.changed.push_back({key, store_.live().find(key), entry && entry->status ? &*entry->status : nullptr});
  }
  for (StatusSink* sink : status_sinks_) sink->publish(publication);
  published_ = true;
}

}  // namespace gatehouse::controller
