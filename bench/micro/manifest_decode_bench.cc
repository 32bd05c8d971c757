// Decode cost of one config file as the benchmark harness writes it (bench/benchlib/manifests.py,
// _SCALE_TEMPLATE): an HTTPRoute, its Service and its EndpointSlice in one 3-document YAML file.
// Run: build/bench/manifest_decode_bench; figures go into docs/design/controller.md.
#include <benchmark/benchmark.h>

#include <string>

#include "model/manifest.h"

namespace {

const std::string kRouteFile = R"(apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: r42
  namespace: bench
spec:
  parentRefs:
  - name: bench
  hostnames:
  - r42.bench.test
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /p42/
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set:
        - name: X-Bench-Route
          value: r42
    backendRefs:
    - name: svc-r42
      port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: svc-r42
  namespace: bench
spec:
  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: 18080
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: svc-r42-1
  namespace: bench
  labels:
    kubernetes.io/service-name: svc-r42
addressType: IPv4
ports:
- name: http
  port: 18080
  protocol: TCP
endpoints:
- addresses:
  - 127.0.0.1
  conditions:
    ready: true
)";

void BM_DecodeRouteFile(benchmark::State& state) {
  for (auto _ : state) {
    auto docs = gatehouse::model::decodeManifests(kRouteFile);
    if (!docs.ok() || docs->size() != 3) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(docs);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kRouteFile.size()));
}
BENCHMARK(BM_DecodeRouteFile)->Unit(benchmark::kMicrosecond);

// The same objects as one line of JSON each (kubectl -o json style input).
void BM_DecodeJsonFile(benchmark::State& state) {
  static const std::string json = [] {
    auto docs = gatehouse::model::decodeManifests(kRouteFile);
    std::string out;
    for (const auto& d : *docs) out += d.dump() + "\n---\n";
    return out;
  }();
  for (auto _ : state) {
    auto docs = gatehouse::model::decodeManifests(json);
    if (!docs.ok() || docs->size() != 3) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(docs);
  }
}
BENCHMARK(BM_DecodeJsonFile)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
