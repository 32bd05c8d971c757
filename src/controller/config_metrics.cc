#include "controller/config_metrics.h"

#include <chrono>
#include <map>
#include <string>
#include <utility>

namespace gatehouse::controller {

namespace {

// "true" when an Accepted condition (the object's own, or a route's per parent) is True, "false"
// when it has Accepted conditions and none is True, "unknown" for kinds without one.
std::string_view acceptedOf(const model::Json& status) {
  bool seen = false;
  bool accepted = false;
  auto scan = [&](const model::Json& holder) {
    if (!holder.is_object()) return;
    auto conditions = holder.find("conditions");
    if (conditions == holder.end() || !conditions->is_array()) return;
    for (const model::Json& c : *conditions) {
      if (!c.is_object() || c.value("type", "") != "Accepted") continue;
      seen = true;
      accepted = accepted || c.value("status", "") == "True";
    }
  };
  scan(status);
  if (status.is_object()) {
    auto parents = status.find("parents");
    if (parents != status.end() && parents->is_array())
      for (const model::Json& parent : *parents) scan(parent);
  }
  return !seen ? "unknown" : accepted ? "true" : "false";
}

}  // namespace

void ConfigMetrics::publish(const Publication& publication) {
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::lock_guard lock(mu_);
  revision_ = publication.revision;
  if (publication.translation) {
    translation_.observe(std::chrono::duration<double>(*publication.translation).count());
    last_apply_unix_seconds_ = now;
  }
  objects_ = publication.objects;
  errors_ = publication.errors;
}

void ConfigMetrics::render(metrics::Exposition& out) const {
  uint64_t revision;
  metrics::Histogram translation;
  double last_apply;
  std::shared_ptr<const ObjectTable> objects;
  std::shared_ptr<const std::vector<store::ConfigError>> errors;
  {
    std::lock_guard lock(mu_);
    revision = revision_;
    translation = translation_;
    last_apply = last_apply_unix_seconds_;
    objects = objects_;
    errors = errors_;
  }
  out.family("gatehouse_config_revision", metrics::Type::Gauge, "Revision of the configuration the data plane serves.");
  out.gauge({}, static_cast<double>(revision));
  out.family("gatehouse_translation_duration_seconds", metrics::Type::Histogram,
             "Time to translate a configuration change into a snapshot.");
  out.histogram({}, translation);
  out.family("gatehouse_config_last_apply_timestamp_seconds", metrics::Type::Gauge,
             "Unix time of the last configuration applied (0: none yet).");
  out.gauge({}, last_apply);
  std::map<std::pair<std::string, std::string_view>, uint64_t> counts;
  if (objects) {
    for (const auto& [key, entry] : objects->sorted()) {
      if (!entry->object) continue;
      const model::Json status = entry->status ? entry->status->unpack() : model::Json();
      ++counts[{key->kind, acceptedOf(status)}];
    }
  }
  out.family("gatehouse_config_objects", metrics::Type::Gauge, "Gateway API objects by kind and Accepted state.");
  for (const auto& [labels, count] : counts) {
    out.gauge({{"kind", labels.first}, {"accepted", labels.second}}, static_cast<double>(count));
  }
  out.family("gatehouse_config_errors", metrics::Type::Gauge, "Configuration errors (objects rejected or not loaded).");
  out.gauge({}, errors ? static_cast<double>(errors->size()) : 0);
}

}  // namespace gatehouse::controller
