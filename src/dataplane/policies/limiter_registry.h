#pragma once
// Every rate limiter of one kind in the process, by identity (policy, target and settings), so
// that a new snapshot keeps the limiters (their buckets and counters) of the limits it keeps.
// Control thread only (DataPlane::apply). `Limiter` gives `identity(config)` and `config()`;
// `kLimits` is the snapshot's table of its configs.
#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "snapshot/snapshot.h"

namespace gatehouse::dataplane::policies {

template <class Limiter, auto kLimits>
class LimiterRegistry {
 public:
  // The limiters of `snapshot`, in the order of its table; limits no longer there are forgotten
  // (requests still on an older generation keep theirs until they end).
  std::vector<std::shared_ptr<Limiter>> resolve(const snapshot::Snapshot& snapshot) {
    std::lock_guard lock(mu_);
    std::unordered_map<std::string, std::shared_ptr<Limiter>> kept;
    std::vector<std::shared_ptr<Limiter>> out;
    for (const auto& config : snapshot.*kLimits) {
      const std::string id = Limiter::identity(config);
      auto it = kept.find(id);
      if (it == kept.end()) {
        auto old = by_identity_.find(id);
        it = kept.emplace(id, old != by_identity_.end() ? old->second : std::make_shared<Limiter>(config)).first;
      }
      out.push_back(it->second);
    }
    by_identity_ = std::move(kept);
    return out;
  }

  // The current limiters, by policy and target (for metrics).
  std::vector<std::shared_ptr<const Limiter>> current() const {
    std::lock_guard lock(mu_);
    std::vector<std::shared_ptr<const Limiter>> out;
    for (const auto& [id, limiter] : by_identity_) out.push_back(limiter);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a->config().policy, a->config().target) < std::tie(b->config().policy, b->config().target);
    });
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Limiter>> by_identity_;
};

}  // namespace gatehouse::dataplane::policies
