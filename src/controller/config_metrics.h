#pragma once
// The control plane's half of GET /metrics: a status sink that keeps what each publication tells
// (revision, translation time, objects, configuration errors) and renders it on a scrape.
// publish() runs on the control thread, render() on the admin API's; a mutex guards the few
// fields (a scrape copies them out and renders from the publication's immutable tables).
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "common/metrics/exposition.h"
#include "common/metrics/histogram.h"
#include "controller/status_sink.h"

namespace gatehouse::controller {

class ConfigMetrics : public StatusSink {
 public:
  void publish(const Publication& publication) override;
  void render(metrics::Exposition& out) const;

 private:
  mutable std::mutex mu_;
  uint64_t revision_ = 0;
  metrics::Histogram translation_;
  double last_apply_unix_seconds_ = 0;
  std::shared_ptr<const ObjectTable> objects_;
  std::shared_ptr<const std::vector<store::ConfigError>> errors_;
};

}  // namespace gatehouse::controller
