#pragma once
// A fixed-bucket histogram: plain counters owned by one thread (a data-plane worker, or the
// control thread), merged into another at scrape time. No atomics: whoever reads it copies it
// on the owning thread first.
#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

namespace gatehouse::metrics {

// The OpenTelemetry default boundaries for http.server/client.request.duration, in seconds.
inline constexpr std::array<double, 14> kDurationBuckets{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                                         0.5,   0.75, 1,     2.5,   5,     7.5, 10};

class Histogram {
 public:
  static constexpr size_t kBuckets = kDurationBuckets.size();

  // Counts `value` in the first bucket whose upper bound is >= value (the +Inf one past them).
  void observe(double value) {
    const auto it = std::lower_bound(kDurationBuckets.begin(), kDurationBuckets.end(), value);
    ++counts_[static_cast<size_t>(it - kDurationBuckets.begin())];
    sum_ += value;
  }
  void merge(const Histogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    sum_ += other.sum_;
  }

  static std::span<const double> bounds() { return kDurationBuckets; }
  // Per bucket, not cumulative; the last is +Inf.
  const std::array<uint64_t, kBuckets + 1>& counts() const { return counts_; }
  uint64_t count() const {
    uint64_t total = 0;
    for (uint64_t c : counts_) total += c;
    return total;
  }
  double sum() const { return sum_; }

 private:
  std::array<uint64_t, kBuckets + 1> counts_{};
  double sum_ = 0;
};

}  // namespace gatehouse::metrics
