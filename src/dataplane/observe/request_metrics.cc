#include "dataplane/observe/request_metrics.h"

#include <algorithm>
#include <array>

#include "dataplane/observe/error_type.h"
#include "dataplane/pipeline/request_context.h"

namespace gatehouse::dataplane::observe {

namespace {

std::pair<std::string_view, std::string_view> splitKey(std::string_view key) {
  const size_t slash = key.find('/');
  if (slash == std::string_view::npos) return {{}, key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

double secondsBetween(Clock::time_point from, Clock::time_point to) {
  if (from == Clock::time_point{} || to < from) return 0;
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

std::string_view methodLabel(std::string_view method) {
  static constexpr std::array<std::string_view, 9> kKnown{"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                                          "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  for (std::string_view known : kKnown)
    if (method == known) return known;
  return "_OTHER";
}

std::string_view tlsHandshakeFailureName(TlsHandshakeFailure reason) {
  switch (reason) {
    case TlsHandshakeFailure::Timeout: return "timeout";
    case TlsHandshakeFailure::Closed: return "closed";
    case TlsHandshakeFailure::ClientCertificate: return "client_certificate";
    case TlsHandshakeFailure::CertificateRejected: return "certificate_rejected";
    case TlsHandshakeFailure::Protocol: return "protocol";
  }
  return "protocol";
}

void ConnectionCounts::add(const ConnectionCounts& other) {
  active += other.active;
  total += other.total;
  bytes_received += other.bytes_received;
  bytes_sent += other.bytes_sent;
  tls_handshakes += other.tls_handshakes;
  for (size_t i = 0; i < kTlsHandshakeFailures; ++i) tls_handshake_failures[i] += other.tls_handshake_failures[i];
}

void RequestMetrics::observe(const RequestContext& ctx, Clock::time_point now) {
  Leg server{ctx.status, {}};
  if (server.status == 0) server.failure = ctx.error ? errorTypeOf(ctx.error->kind) : kOtherError;
  Series& series = count(server_, ctx, server, false, secondsBetween(ctx.started, now));
  series.bytes_received += ctx.bytes_received;
  series.bytes_sent += ctx.bytes_sent;
  series.retries += ctx.retries;
  if (ctx.connection != nullptr) {
    ctx.connection->bytes_received += ctx.bytes_received;
    ctx.connection->bytes_sent += ctx.bytes_sent;
  }
  observeAttempt(ctx, ctx.status, ctx.error, now);
}

void RequestMetrics::observeAttempt(const RequestContext& ctx, uint16_t status, const std::optional<ProxyError>& error,
                                    Clock::time_point now) {
  if (ctx.upstream_started == Clock::time_point{}) return;
  Leg client;
  if (error && error->side == ErrorSide::Upstream) {
    client.failure = errorTypeOf(error->kind);
  } else {
    client.status = status;
    if (client.status == 0) client.failure = kOtherError;
  }
  count(client_, ctx, client, true, secondsBetween(ctx.upstream_started, now));
}

size_t RequestMetrics::AddressKeyHash::operator()(const AddressKey& k) const {
  auto mix = [](size_t h, const void* p) { return (h ^ reinterpret_cast<uintptr_t>(p)) * 0x9E3779B97F4A7C15ull; };
  size_t h = mix(mix(mix(mix(mix(0, k.listener), k.rule), k.cluster), k.method), k.failure);
  return h ^ (h >> 29) ^ (size_t{k.status} << 1) ^ size_t{k.client};
}

bool RequestMetrics::perRouteLabels(const RequestContext& ctx) const {
  return per_route_labels_ && (ctx.listener == nullptr || ctx.listener->metrics.per_route_labels);
}

Series& RequestMetrics::count(SeriesMap& map, const RequestContext& ctx, Leg leg, bool client, double seconds) {
  const std::string_view method = methodLabel(ctx.request.method);
  if (generation_ == nullptr || ctx.generation.get() != generation_) {
    Series& found = series(map, ctx, method, leg, client);
    found.duration.observe(seconds);
    return found;
  }
  const bool per_route = perRouteLabels(ctx);
  const AddressKey key{ctx.listener, per_route ? ctx.rule : nullptr, per_route ? ctx.cluster : nullptr,
                       method.data(), leg.failure.data(), leg.status, client};
  auto it = by_address_.find(key);
  if (it == by_address_.end()) {
    if (by_address_.size() >= 2 * kMaxSeries) by_address_.clear();  // bounded like the series
    it = by_address_.emplace(key, &series(map, ctx, method, leg, client)).first;
  }
  it->second->duration.observe(seconds);
  return *it->second;
}

Series& RequestMetrics::series(SeriesMap& map, const RequestContext& ctx, std::string_view method,
                                           Leg leg, bool client) {
  const snapshot::Listener* listener = ctx.listener;
  const snapshot::Rule* rule = ctx.rule;
  const snapshot::Cluster* cluster = ctx.cluster;
  auto build = [&](bool with_route) {
    key_.clear();
    key_.append(method);
    key_.push_back('\0');
    key_.append(reinterpret_cast<const char*>(&leg.status), sizeof leg.status);
    key_.append(leg.failure);
    key_.push_back('\0');
    if (listener != nullptr) {
      key_.append(listener->gateway);
      key_.push_back('\0');
      key_.append(listener->name);
    }
    key_.push_back('\0');
    if (with_route && rule != nullptr) {
      key_.append(rule->route_kind);
      key_.push_back('\0');
      key_.append(rule->route);
      key_.push_back('\0');
      key_.append(rule->name);
      key_.append(reinterpret_cast<const char*>(&rule->index), sizeof rule->index);
      key_.push_back('\0');
      if (cluster != nullptr) key_.append(cluster->name);
    }
  };
  const bool per_route = perRouteLabels(ctx);
  build(per_route);
  auto it = map.find(std::string_view(key_));
  if (it == map.end() && per_route && map.size() >= kMaxSeries) {
    build(false);
    it = map.find(std::string_view(key_));
  }
  if (it == map.end()) {
    // First request of this series: its labels, once.
    const bool with_route = per_route && map.size() < kMaxSeries;
    Series added;
    SeriesLabels& l = added.labels;
    l.method = method;
    if (leg.status != 0) l.status = std::to_string(leg.status);
    if (!leg.failure.empty()) {
      l.error_type = leg.failure;
    } else if (leg.status >= 500 || (client && leg.status >= 400)) {
      l.error_type = l.status;
    }
    if (listener != nullptr) {
      auto [ns, name] = splitKey(listener->gateway);
      l.gateway_namespace = ns;
      l.gateway_name = name;
      l.listener = listener->name;
    }
    if (with_route && rule != nullptr) {
      l.route_kind = rule->route_kind;
      auto [ns, name] = splitKey(rule->route);
      l.route_namespace = ns;
      l.route_name = name;
      l.route_rule = rule->name.empty() ? std::to_string(rule->index) : rule->name;
      if (cluster != nullptr) l.backend = cluster->name;
    }
    it = map.emplace(key_, std::move(added)).first;
  }
  return it->second;
}

MetricsData RequestMetrics::copy(const Generation* generation) const {
  MetricsData data;
  data.server = server_;
  data.client = client_;
  for (const auto& [identity, counts] : connections_) {
    const SocketConfig* socket = generation ? generation->find(identity) : nullptr;
    if (socket == nullptr || socket->socket == nullptr || socket->socket->listeners.empty()) continue;
    // A socket shared by several listeners (hostnames on one port) counts its connections once,
    // under their names joined by ","; the Gateway labels stay when they share one Gateway.
    ConnectionSeries series;
    const auto& listeners = socket->socket->listeners;
    const bool one_gateway = std::all_of(listeners.begin(), listeners.end(),
                                         [&](const snapshot::Listener& l) { return l.gateway == listeners[0].gateway; });
    if (one_gateway) {
      auto [ns, name] = splitKey(listeners[0].gateway);
      series.gateway_namespace = ns;
      series.gateway_name = name;
    }
    for (const snapshot::Listener& l : listeners) {
      if (!series.listener.empty()) series.listener += ',';
      series.listener += l.name;
    }
    series.tls = socket->tls != nullptr;
    series.counts = counts;
    data.connections.emplace(identity, std::move(series));
  }
  return data;
}

void MetricsData::merge(const MetricsData& other) {
  auto mergeSeries = [](SeriesMap& into, const SeriesMap& from) {
    for (const auto& [key, series] : from) {
      auto [it, inserted] = into.try_emplace(key, series);
      if (!inserted) {
        it->second.duration.merge(series.duration);
        it->second.bytes_received += series.bytes_received;
        it->second.bytes_sent += series.bytes_sent;
        it->second.retries += series.retries;
      }
    }
  };
  mergeSeries(server, other.server);
  mergeSeries(client, other.client);
  for (const auto& [identity, series] : other.connections) {
    auto [it, inserted] = connections.try_emplace(identity, series);
    if (!inserted) it->second.counts.add(series.counts);
  }
  mirrors.add(other.mirrors);
  if (other.redis_calls) {
    if (!redis_calls) redis_calls.emplace();
    redis_calls->add(*other.redis_calls);
  }
}

namespace {

// The series of `map` in a stable order (by identity, then method, status and error).
std::vector<const Series*> sorted(const SeriesMap& map) {
  std::vector<const Series*> series;
  for (const auto& [key, s] : map) series.push_back(&s);
  auto tie = [](const SeriesLabels& l) {
    return std::tie(l.gateway_namespace, l.gateway_name, l.listener, l.route_kind, l.route_namespace, l.route_name,
                    l.route_rule, l.backend, l.method, l.status, l.error_type);
  };
  std::sort(series.begin(), series.end(), [&](const Series* a, const Series* b) { return tie(a->labels) < tie(b->labels); });
  return series;
}

metrics::Labels requestLabels(const SeriesLabels& l) {
  metrics::Labels labels{{"http_request_method", l.method}};
  if (!l.status.empty()) labels.emplace_back("http_response_status_code", l.status);
  if (!l.error_type.empty()) labels.emplace_back("error_type", l.error_type);
  labels.insert(labels.end(), {{"gateway_namespace", l.gateway_namespace},
                               {"gateway_name", l.gateway_name},
                               {"listener", l.listener},
                               {"route_kind", l.route_kind},
                               {"route_namespace", l.route_namespace},
                               {"route_name", l.route_name},
                               {"route_rule", l.route_rule},
                               {"backend", l.backend}});
  return labels;
}

void renderDurations(metrics::Exposition& out, const std::vector<const Series*>& series) {
  for (const Series* s : series) out.histogram(requestLabels(s->labels), s->duration);
}

void renderCounter(metrics::Exposition& out, const std::vector<const Series*>& series, uint64_t Series::*field) {
  for (const Series* s : series) out.counter(requestLabels(s->labels), static_cast<double>(s->*field));
}

}  // namespace

void MetricsData::render(metrics::Exposition& out) const {
  const std::vector<const Series*> server_series = sorted(server);
  out.family("http_server_request_duration_seconds", metrics::Type::Histogram,
             "Duration of HTTP server requests (the downstream leg).");
  renderDurations(out, server_series);
  out.family("http_client_request_duration_seconds", metrics::Type::Histogram,
             "Duration of HTTP client requests (each upstream attempt).");
  renderDurations(out, sorted(client));
  out.family("gatehouse_http_server_received_bytes_total", metrics::Type::Counter,
             "Request bytes read from clients (head and body), by request.");
  renderCounter(out, server_series, &Series::bytes_received);
  out.family("gatehouse_http_server_sent_bytes_total", metrics::Type::Counter,
             "Response bytes written to clients (head and body), by request.");
  renderCounter(out, server_series, &Series::bytes_sent);
  out.family("gatehouse_upstream_retries_total", metrics::Type::Counter, "Upstream attempts retried (pipeline/retry.h), by request.");
  renderCounter(out, server_series, &Series::retries);

  auto labels = [](const ConnectionSeries& s) {
    return metrics::Labels{{"gateway_namespace", s.gateway_namespace}, {"gateway_name", s.gateway_name}, {"listener", s.listener}};
  };
  out.family("gatehouse_downstream_connections_active", metrics::Type::Gauge, "Open downstream connections.");
  for (const auto& [identity, s] : connections) out.gauge(labels(s), static_cast<double>(s.counts.active));
  auto perSocket = [&](const char* name, const char* help, uint64_t ConnectionCounts::*field) {
    out.family(name, metrics::Type::Counter, help);
    for (const auto& [identity, s] : connections) out.counter(labels(s), static_cast<double>(s.counts.*field));
  };
  perSocket("gatehouse_downstream_connections_total", "Accepted downstream connections.",
            &ConnectionCounts::total);
  perSocket("gatehouse_downstream_received_bytes_total",
            "Bytes read from clients: HTTP requests' heads and bodies, L4 bytes relayed.", &ConnectionCounts::bytes_received);
  perSocket("gatehouse_downstream_sent_bytes_total",
            "Bytes written to clients: HTTP responses' heads and bodies, L4 bytes relayed.", &ConnectionCounts::bytes_sent);
  out.family("gatehouse_tls_handshakes_total", metrics::Type::Counter, "Completed downstream TLS handshakes.");
  for (const auto& [identity, s] : connections) {
    if (s.tls) out.counter(labels(s), static_cast<double>(s.counts.tls_handshakes));
  }
  out.family("gatehouse_tls_handshake_failures_total", metrics::Type::Counter, "Failed downstream TLS handshakes, by reason.");
  for (const auto& [identity, s] : connections) {
    if (!s.tls) continue;
    for (size_t i = 0; i < kTlsHandshakeFailures; ++i) {
      metrics::Labels with_reason = labels(s);
      with_reason.emplace_back("reason", tlsHandshakeFailureName(static_cast<TlsHandshakeFailure>(i)));
      out.counter(with_reason, static_cast<double>(s.counts.tls_handshake_failures[i]));
    }
  }
  out.family("gatehouse_mirror_requests_total", metrics::Type::Counter,
             "RequestMirror copies by outcome; in-flight copies are not counted yet.");
  const std::pair<const char*, uint64_t> outcomes[] = {
      {"completed", mirrors.completed},       {"failed", mirrors.failed},
      {"dropped_over_limit", mirrors.dropped_over_limit}, {"skipped_body", mirrors.skipped_body},
      {"no_endpoint", mirrors.no_endpoint}};
  for (const auto& [outcome, count] : outcomes) out.counter({{"outcome", outcome}}, static_cast<double>(count));
  out.family("gatehouse_mirror_requests_in_flight", metrics::Type::Gauge, "RequestMirror copies awaiting their response.");
  out.gauge({}, static_cast<double>(mirrors.in_flight));
  out.family("gatehouse_rate_limit_decisions_total", metrics::Type::Counter,
             "Local rate limit decisions of this process, by policy and target.");
  for (const auto& r : rate_limits) {
    out.counter({{"policy", r.policy}, {"target", r.target}, {"decision", "allowed"}}, static_cast<double>(r.allowed));
    out.counter({{"policy", r.policy}, {"target", r.target}, {"decision", "limited"}}, static_cast<double>(r.limited));
  }
  out.family("gatehouse_global_rate_limit_decisions_total", metrics::Type::Counter,
             "Global (Redis) rate limit decisions of this process, by policy and target; failed_open and "
             "failed_closed: Redis gave no decision and the failure mode did.");
  for (const auto& g : global_rate_limits) {
    const std::pair<const char*, uint64_t> decisions[] = {
        {"allowed", g.allowed}, {"limited", g.limited}, {"failed_open", g.failed_open}, {"failed_closed", g.failed_closed}};
    for (const auto& [decision, count] : decisions)
      out.counter({{"policy", g.policy}, {"target", g.target}, {"decision", decision}}, static_cast<double>(count));
  }
  if (redis_calls) {
    out.family("gatehouse_rate_limit_redis_calls_total", metrics::Type::Counter,
               "Calls to the global rate limits' Redis: ok (it answered), error (no connection, or it broke), timeout.");
    out.counter({{"result", "ok"}}, static_cast<double>(redis_calls->ok));
    out.counter({{"result", "error"}}, static_cast<double>(redis_calls->error));
    out.counter({{"result", "timeout"}}, static_cast<double>(redis_calls->timeout));
  }
}

}  // namespace gatehouse::dataplane::observe
