#include "main/observability_flags.h"

#include <CLI/CLI.hpp>

#include "dataplane/observe/access_log.h"
#include "dataplane/observe/span_exporter.h"

namespace gatehouse::main {

void addObservabilityFlags(CLI::App& command, ObservabilityFlags& flags) {
  auto* access_log = command.add_option("--access-log", flags.access_log,
                                        "Write one JSON line per request to PATH (\"-\": stdout); off by default");
  command
      .add_option("--access-log-fields", flags.access_log_fields,
                  "Keys of an access log line, comma-separated (default: all): time, gateway, listener, route, rule, "
                  "backend, endpoint, method, authority, path, status, bytes_received, bytes_sent, duration_ms, "
                  "upstream_duration_ms, upstream_failure, upstream_attempts, trace_id, client_address")
      ->check([](const std::string& list) {
        auto fields = dataplane::observe::AccessLogFields::parse(list);
        return fields ? std::string() : fields.error().message;
      })
      ->needs(access_log);
  command
      .add_option("--access-log-sampling", flags.access_log_sampling,
                  "Share of requests logged, 0..1; a failed request (status >= 500, an upstream failure, no "
                  "response) is always logged")
      ->check(CLI::Range(0.0, 1.0))
      ->default_val(1.0)
      ->needs(access_log);
  auto* otlp = command.add_option("--otlp-endpoint", flags.otlp_endpoint,
                                  "Export a span per request and per upstream attempt as OTLP/HTTP JSON to this http:// "
                                  "or https:// collector URL (no path: /v1/traces); off by default. See "
                                  "docs/observability.md");
  command
      .add_option("--otlp-ca-file", flags.otlp_ca_file,
                  "PEM CA bundle an https:// collector's certificate must chain to (default: the system's trust "
                  "store)")
      ->check(CLI::ExistingFile)
      ->needs(otlp);
  command
      .add_option("--trace-sampling", flags.trace_sampling,
                  "Share of new traces recorded, 0..1 (a client's traceparent decides for its own trace)")
      ->check(CLI::Range(0.0, 1.0))
      ->default_val(1.0);
  command
      .add_option("--metrics-per-route-labels", flags.metrics_per_route_labels,
                  "true: HTTP request metrics carry route_kind, route_namespace, route_name, route_rule and backend "
                  "labels; false: those are empty, so series don't grow with routes")
      ->default_val(true)
      ->default_str("true");
  command
      .add_option("--request-metrics", flags.request_metrics,
                  "false: no HTTP request or upstream attempt series (http_server_*, http_client_*); connection, "
                  "byte, TLS and control-plane metrics stay")
      ->default_val(true)
      ->default_str("true");
}

Result<bool> applyObservabilityFlags(const ObservabilityFlags& flags, dataplane::Options& options) {
  options.metrics_per_route_labels = flags.metrics_per_route_labels;
  options.request_metrics = flags.request_metrics;
  if (!flags.access_log.empty()) {
    auto writer = dataplane::observe::AccessLogWriter::open(flags.access_log);
    if (!writer) return writer.error();
    options.access_log.writer = std::move(writer.value());
    if (!flags.access_log_fields.empty()) {
      auto fields = dataplane::observe::AccessLogFields::parse(flags.access_log_fields);
      if (!fields) return Error{"--access-log-fields: " + fields.error().message};
      options.access_log.fields = *fields;
    }
    options.access_log.sampling = flags.access_log_sampling;
  }
  if (!flags.otlp_endpoint.empty()) {
    auto exporter = dataplane::observe::SpanExporter::create(flags.otlp_endpoint, flags.otlp_ca_file);
    if (!exporter) return exporter.error();
    options.traces = std::move(exporter.value());
    options.trace_sampling = flags.trace_sampling;
  }
  return true;
}

}  // namespace gatehouse::main
