#pragma once
// The standard process_* metrics Prometheus' client libraries export, read from the kernel at
// scrape time (Linux: getrusage, /proc/self/statm, /proc/self/fd).
#include "common/metrics/exposition.h"

namespace gatehouse::admin {

void renderProcessMetrics(metrics::Exposition& out);

}  // namespace gatehouse::admin
