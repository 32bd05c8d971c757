// encode()/decode() of a snapshot with N HTTPRoutes (the route_lookup_bench set: route i with its
// own exact host, a PathPrefix rule, a RequestHeaderModifier; here also its own cluster with two
// IPv4 endpoints, and every tenth route a regex header match), against the alternative the design
// note weighs: the same fields as positional arrays in nlohmann::json, written as MessagePack.
// The MessagePack decode figure is a lower bound: parsing into a json tree only, before the walk
// that would build the snapshot from it. Counter `bytes`: the encoded size.
// Run: build/bench/snapshot_codec_bench; figures go into docs/design/snapshot-codec.md.
#include <benchmark/benchmark.h>
#include <re2/re2.h>

#include <nlohmann/json.hpp>
#include <string>

#include "snapshot/codec.h"

namespace {

using namespace gatehouse::snapshot;
using nlohmann::json;

Snapshot build(int n) {
  Snapshot s;
  s.version = 7;
  Listener l;
  l.gateway = "bench/gw";
  l.name = "http";
  for (int i = 0; i < n; ++i) {
    const std::string id = std::to_string(i);
    s.clusters.push_back(std::make_shared<const Cluster>(
        Cluster{"bench/svc-r" + id + ":80", UpstreamProtocol::Http1,
                {Endpoint("10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250), 18080),
                 Endpoint("10.2." + std::to_string(i / 250) + "." + std::to_string(i % 250), 18080)}}));
    auto t = std::make_shared<RouteTable>();
    Rule rule;
    rule.route = "bench/r" + id;
    rule.filters.push_back(RequestHeaderModifier{{{{"X-Bench-Route", "r" + id}}, {}, {}}});
    rule.backends.push_back({static_cast<uint32_t>(i), 1, {}});
    rule.total_weight = 1;
    t->rules.push_back(std::move(rule));
    RouteEntry e;
    e.match.path = {PathMatch::Type::PathPrefix, "/p" + id + "/", nullptr};
    if (i % 10 == 0) {
      StringMatch h{StringMatch::Type::RegularExpression, "x-tenant", "t[0-9]+-" + id, nullptr};
      h.regex = std::make_shared<const re2::RE2>(h.value);
      e.match.headers.push_back(std::move(h));
    }
    t->entries.push_back(std::move(e));
    l.hosts.setExact("r" + id + ".bench.test", std::move(t));
  }
  s.sockets.push_back({"0.0.0.0", 80, Transport::Tcp, ListenerKind::HttpConnectionManager, {std::move(l)}});
  return s;
}

json headerModifier(const HeaderModifier& m) { return json::array({m.set, m.add, m.remove}); }

json optionalPath(const std::optional<PathModifier>& p) {
  return p ? json::array({static_cast<int>(p->type), p->value}) : json();
}

json filter(const RequestHeaderModifier& m) { return headerModifier(m); }
json filter(const ResponseHeaderModifier& m) { return headerModifier(m); }
json filter(const RequestRedirect& r) {
  return json::array({r.scheme ? json(*r.scheme) : json(), r.hostname ? json(*r.hostname) : json(), optionalPath(r.path),
                      r.port ? json(*r.port) : json(), r.status_code});
}
json filter(const UrlRewrite& r) { return json::array({r.hostname ? json(*r.hostname) : json(), optionalPath(r.path)}); }
json filter(const RequestMirror& m) { return json::array({m.cluster, m.numerator, m.denominator}); }
json filter(const Cors& c) {
  return json::array({c.allow_origins, c.allow_methods, c.allow_headers, c.expose_headers, c.allow_credentials, c.max_age});
}

// [type index, fields] per filter, in list order.
json filters(const Filters& list) {
  json out = json::array();
  for (const Filter& f : list)
    out.push_back(json::array({f.index(), std::visit([](const auto& typed) { return filter(typed); }, f)}));
  return out;
}

json table(const RouteTable& t) {
  json rules = json::array();
  for (const Rule& r : t.rules) {
    json backends = json::array();
    for (const auto& b : r.backends)
      backends.push_back(json::array({b.cluster ? json(*b.cluster) : json(), b.weight, filters(b.filters)}));
    rules.push_back(json::array({r.route, r.name, filters(r.filters), backends, r.total_weight,
                                 r.request_timeout_ms ? json(*r.request_timeout_ms) : json(),
                                 r.backend_request_timeout_ms ? json(*r.backend_request_timeout_ms) : json(),
                                 r.route_kind, r.index}));
  }
  json entries = json::array();
  for (const RouteEntry& e : t.entries) {
    json headers = json::array();
    for (const auto& h : e.match.headers) headers.push_back(json::array({static_cast<int>(h.type), h.name, h.value}));
    json query = json::array();
    for (const auto& q : e.match.query_params) query.push_back(json::array({static_cast<int>(q.type), q.name, q.value}));
    entries.push_back(json::array({static_cast<int>(e.match.path.type), e.match.path.value, headers, query,
                                   e.match.method ? json(*e.match.method) : json(), e.rule}));
  }
  return json::array({rules, entries});
}

json positional(const Snapshot& s) {
  json clusters = json::array();
  for (uint32_t i = 0; i < s.clusters.size(); ++i) {
    const Cluster* c = s.clusters.get(i);
    if (!c) {
      clusters.push_back(nullptr);
      continue;
    }
    json endpoints = json::array();
    for (const auto& e : c->endpoints) endpoints.push_back(json::array({e.ip, e.port}));
    clusters.push_back(json::array({c->name, static_cast<int>(c->protocol), endpoints}));
  }
  json sockets = json::array();
  for (const Socket& so : s.sockets) {
    json listeners = json::array();
    for (const Listener& l : so.listeners) {
      json exact = json::array();
      l.hosts.forEachExact([&](const std::string& host, const RouteTablePtr& t) { exact.push_back({host, table(*t)}); });
      json wildcard = json::array();
      for (const auto& [suffix, t] : l.hosts.wildcard_suffix) wildcard.push_back({suffix, table(*t)});
      json certs = json::array();
      for (const auto& c : l.certificates) certs.push_back({c.cert_pem, c.key_pem});
      listeners.push_back(json::array(
          {l.gateway, l.name, l.hostname, certs, exact, wildcard, l.hosts.any ? table(*l.hosts.any) : json()}));
    }
    sockets.push_back(json::array({so.address, so.port, static_cast<int>(so.transport), static_cast<int>(so.kind), listeners}));
  }
  return json::array({1, s.version, clusters, sockets});
}

void BM_Encode(benchmark::State& state) {
  const Snapshot s = build(static_cast<int>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = encode(s);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}

void BM_Decode(benchmark::State& state) {
  const std::string bytes = encode(build(static_cast<int>(state.range(0))));
  for (auto _ : state) {
    auto decoded = decode(bytes);
    if (!decoded.ok()) state.SkipWithError(decoded.error().message.c_str());
    benchmark::DoNotOptimize(decoded);
  }
  state.counters["bytes"] = static_cast<double>(bytes.size());
}

void BM_MsgpackEncode(benchmark::State& state) {
  const Snapshot s = build(static_cast<int>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    std::vector<uint8_t> out = json::to_msgpack(positional(s));
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}

void BM_MsgpackParseOnly(benchmark::State& state) {
  const std::vector<uint8_t> bytes = json::to_msgpack(positional(build(static_cast<int>(state.range(0)))));
  for (auto _ : state) {
    json parsed = json::from_msgpack(bytes, true, false);
    benchmark::DoNotOptimize(parsed);
  }
  state.counters["bytes"] = static_cast<double>(bytes.size());
}

BENCHMARK(BM_Encode)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Decode)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MsgpackEncode)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MsgpackParseOnly)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
