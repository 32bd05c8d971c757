#pragma once
// Exponential backoff with jitter, capped: what clients of a server (the API server, the
// controller's config stream) are asked to do so that a restarted server is not stampeded.
#include <algorithm>
#include <chrono>
#include <random>

namespace gatehouse {

class Backoff {
 public:
  explicit Backoff(std::chrono::milliseconds base = std::chrono::milliseconds(200),
                   std::chrono::milliseconds cap = std::chrono::seconds(10))
      : base_(base), cap_(cap), rng_(std::random_device{}()) {}

  // The next delay: uniformly random in [ceiling/2, ceiling], the ceiling doubling up to the cap.
  std::chrono::milliseconds next() {
    std::chrono::milliseconds ceiling = std::min<std::chrono::milliseconds>(cap_, base_ * (1LL << std::min(failures_, 20)));
    ++failures_;
    std::uniform_int_distribution<long long> pick(ceiling.count() / 2, ceiling.count());
    return std::chrono::milliseconds(pick(rng_));
  }
  void reset() { failures_ = 0; }

 private:
  std::chrono::milliseconds base_, cap_;
  int failures_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace gatehouse
