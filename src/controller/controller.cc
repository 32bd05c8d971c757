#include "controller/controller.h"

#include <chrono>

#include "common/log.h"
#include "common/parallel.h"

namespace gatehouse::controller {

using model::Json;

Controller::Controller(translator::Options options, SnapshotSink* sink, StatusBoard* board)
    : sink_(sink), board_(board), translator_(std::move(options)) {
  board_->setSource([this] { return sources(); });
}

Controller::~Controller() { board_->setSource(nullptr); }

StatusBoard::Sources Controller::sources() {
  std::lock_guard lock(mu_);
  if (!statuses_copy_) statuses_copy_ = std::make_shared<const Statuses>(statuses_);
  return {store_.view(), statuses_copy_};
}

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
  const store::View& view = store_.live();
  auto result = translator_.update(view, store_.takeChanges());
  const auto translated = Clock::now();
  auto unusable = sink_ ? sink_->apply(result.snapshot) : std::map<std::string, std::string>{};
  const auto applied = Clock::now();
  if (unusable != unusable_) {
    // Status must tell which addresses did not bind; the data plane already serves the rest.
    unusable_ = std::move(unusable);
    translator_.setUnusableAddresses(unusable_);
    auto with_errors = translator_.update(view, {});
    for (auto& [key, status] : with_errors.changed) result.changed[key] = std::move(status);
  }
  publish(result);
  const auto published = Clock::now();
  spdlog::info("config revision {} live: {} sockets, {} clusters, {} objects, {} statuses changed{}; translate {} us, apply {} us, status {} us",
               view.revision, result.snapshot->sockets.size(), result.snapshot->clusters.size(), view.objects.size(),
               result.changed.size(), result.full ? " (full)" : "", us(started, translated), us(translated, applied),
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

void Controller::publish(const translator::Translator::Result& result) {
  // Only statuses that changed are re-stamped.
  for (const auto& [key, status] : result.changed) {
    auto prev = statuses_.find(key);
    if (!status) {
      if (prev != statuses_.end()) statuses_.erase(prev);
      continue;
    }
    const Json previous = prev != statuses_.end() ? prev->second.unpack() : Json();
    statuses_[key] = model::Packed(statusWithTransitions(status->unpack(), prev != statuses_.end() ? &previous : nullptr));
  }
  if (!result.changed.empty()) statuses_copy_.reset();
  Json errors = Json::array();
  for (const auto& e : store_.errors())
    errors.push_back({{"file", e.source}, {"object", e.object}, {"field", e.field}, {"reason", e.reason}});
  board_->publish(result.snapshot, std::make_shared<const Json>(std::move(errors)));
}

}  // namespace gatehouse::controller
