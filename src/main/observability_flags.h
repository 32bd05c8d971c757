#pragma once
// The access log, tracing and metrics flags, alike for `serve` and `dataplane` (the provisioner
// renders GatehouseParameters' accessLog, tracing and metrics into the latter's). User doc:
// docs/observability.md.
#include <string>

#include "common/result.h"
#include "dataplane/options.h"

namespace CLI {
class App;
}

namespace gatehouse::main {

struct ObservabilityFlags {
  std::string access_log;         // empty: off; "-": stdout
  std::string access_log_fields;  // empty: all keys
  double access_log_sampling = 1.0;
  std::string otlp_endpoint;  // empty: tracing off
  std::string otlp_ca_file;
  double trace_sampling = 1.0;
  bool metrics_per_route_labels = true;
  bool request_metrics = true;
};

void addObservabilityFlags(CLI::App& command, ObservabilityFlags& flags);

// Opens the access log and the span exporter into `options`; their errors name the flag.
Result<bool> applyObservabilityFlags(const ObservabilityFlags& flags, dataplane::Options& options);

}  // namespace gatehouse::main
