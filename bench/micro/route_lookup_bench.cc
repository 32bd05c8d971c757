// route() per request on a socket whose one listener serves N HTTPRoutes, each with its own exact
// hostname, one PathPrefix rule and a RequestHeaderModifier (the filter is compiled into the
// snapshot; route() does not run it). Requests cycle through 1024 prepared ones with random
// hosts so the measurement includes cache misses on the host map and route tables.
//   hit:          host known, path matches
//   miss_path:    host known, path does not match (404 after scanning the host's table)
//   miss_host:    host unknown, no catch-all table (404 at the host map)
// The binary replaces global operator new to count allocations; the counter `allocs/route` must
// stay 0 (routing allocates nothing).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "dataplane/http/router.h"
#include "snapshot/snapshot.h"

namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

// malloc/free behind new/delete is what the standard allows; GCC 12 cannot see that once inlined.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace {

using namespace gatehouse;

snapshot::Socket buildSocket(int n) {
  snapshot::Socket s;
  s.address = "0.0.0.0";
  s.port = 80;
  snapshot::Listener l;
  l.gateway = "bench/gw";
  l.name = "http";
  for (int i = 0; i < n; ++i) {
    snapshot::RouteTable t;
    snapshot::Rule rule;
    rule.route = "bench/route-" + std::to_string(i);
    rule.filters.push_back(snapshot::RequestHeaderModifier{{{{"X-Route", std::to_string(i)}}, {}, {}}});
    rule.backends.push_back({static_cast<uint32_t>(i), 1, {}});
    rule.total_weight = 1;
    t.rules.push_back(std::move(rule));
    snapshot::RouteEntry e;
    e.match.path = {snapshot::PathMatch::Type::PathPrefix, "/svc-" + std::to_string(i), nullptr};
    e.rule = 0;
    t.entries.push_back(std::move(e));
    l.hosts.setExact("host-" + std::to_string(i) + ".example.com", std::make_shared<snapshot::RouteTable>(std::move(t)));
  }
  s.listeners.push_back(std::move(l));
  return s;
}

enum class Kind { Hit, MissPath, MissHost };

std::vector<http::Request> buildRequests(int n, Kind kind) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> pick(0, n - 1);
  std::vector<http::Request> out(1024);
  for (http::Request& r : out) {
    int i = pick(rng);
    r.method = "GET";
    r.scheme = "http";
    r.authority = (kind == Kind::MissHost ? "unknown-" : "host-") + std::to_string(i) + ".Example.com:80";
    r.path = kind == Kind::MissPath ? "/other/items?x=1" : "/svc-" + std::to_string(i) + "/items?x=1";
    r.headers.add("User-Agent", "bench/1.0");
    r.headers.add("Accept", "*/*");
    r.headers.add("X-Request-Id", "0123456789abcdef");
    r.listener_port = 80;
  }
  return out;
}

void run(benchmark::State& state, Kind kind) {
  const int n = static_cast<int>(state.range(0));
  const snapshot::Socket socket = buildSocket(n);
  const std::vector<http::Request> requests = buildRequests(n, kind);
  size_t i = 0;
  benchmark::IterationCount found = 0;
  const uint64_t allocationsBefore = g_allocations.load();
  for (auto _ : state) {
    http::RouteResult r = http::route(socket, requests[i++ & 1023]);
    found += r.rule != nullptr;
    benchmark::DoNotOptimize(r);
  }
  state.counters["allocs/route"] = static_cast<double>(g_allocations.load() - allocationsBefore) /
                                   static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1));
  const benchmark::IterationCount expected = kind == Kind::Hit ? state.iterations() : 0;
  if (found != expected) state.SkipWithError("unexpected routing result");
}

void BM_RouteHit(benchmark::State& state) { run(state, Kind::Hit); }
void BM_RouteMissPath(benchmark::State& state) { run(state, Kind::MissPath); }
void BM_RouteMissHost(benchmark::State& state) { run(state, Kind::MissHost); }

BENCHMARK(BM_RouteHit)->Arg(1000)->Arg(5000)->Arg(10000)->Arg(50000);
BENCHMARK(BM_RouteMissPath)->Arg(1000)->Arg(5000)->Arg(10000)->Arg(50000);
BENCHMARK(BM_RouteMissHost)->Arg(1000)->Arg(5000)->Arg(10000)->Arg(50000);

}  // namespace

BENCHMARK_MAIN();
