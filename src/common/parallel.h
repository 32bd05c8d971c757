#pragma once
// Running independent work items on every core, for batches large enough to pay for the threads.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace gatehouse {

// Calls work(i) for every i in [0, n), on up to 8 threads (the caller's included), one thread
// per `items_per_thread` items: a small batch runs on the calling thread alone. Returns when
// every call has returned. `work` must be safe to call concurrently for different i.
template <typename Work>
void parallelFor(size_t n, size_t items_per_thread, const Work& work) {
  std::atomic<size_t> next{0};
  auto drain = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) work(i);
  };
  const size_t threads = std::min<size_t>({std::max(1u, std::thread::hardware_concurrency()), 8,
                                           (n + items_per_thread - 1) / items_per_thread});
  std::vector<std::jthread> helpers;
  for (size_t t = 1; t < threads; ++t) helpers.emplace_back(drain);
  drain();
}  // helpers join here

}  // namespace gatehouse
