#include "controller/controller.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "common/log.h"

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

namespace {

// Decoding and validating a file depends on nothing but the file: a large batch is prepared on
// every core (the first load, a bulk rewrite) and then applied in order on this thread.
std::vector<store::PreparedFile> prepareAll(const std::vector<providers::FileChange>& changes) {
  std::vector<store::PreparedFile> prepared(changes.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < changes.size();)
      if (!changes[i].removed) prepared[i] = store::Store::prepare(changes[i].path, changes[i].content);
  };
  constexpr size_t kFilesPerThread = 32;
  const size_t threads = std::min<size_t>({std::max(1u, std::thread::hardware_concurrency()), 8,
                                           (changes.size() + kFilesPerThread - 1) / kFilesPerThread});
  {
    std::vector<std::jthread> helpers;
    for (size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
    work();
  }  // joined before `prepared` is handed out
  return prepared;
}

}  // namespace

bool Controller::apply(const std::vector<providers::FileChange>& changes) {
  bool changed = false;
  auto prepared = prepareAll(changes);
  for (size_t i = 0; i < changes.size(); ++i) {
    const auto& c = changes[i];
    changed |= c.removed ? store_.removeFile(c.path) : store_.apply(std::move(prepared[i]));
    for (const auto& e : store_.errors(c.path)) spdlog::error("config: {}", e.str());
  }
  for (const auto& kind : store_.takeNewlyUnhandledKinds())
    spdlog::info("config: kind {} is not handled by gatehouse; such objects are kept, not served", kind);
  return changed;
}

void Controller::load(const std::vector<providers::FileChange>& changes) {
  std::lock_guard lock(mu_);
  apply(changes);
}

void Controller::onFiles(const std::vector<providers::FileChange>& changes) {
  std::lock_guard lock(mu_);
  const bool changed = apply(changes);
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
    errors.push_back({{"file", e.file}, {"object", e.object}, {"field", e.field}, {"reason", e.reason}});
  board_->publish(result.snapshot, std::make_shared<const Json>(std::move(errors)));
}

}  // namespace gatehouse::controller
