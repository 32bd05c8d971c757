#include "common/metrics/exposition.h"

#include <fmt/format.h>

#include <cmath>

namespace gatehouse::metrics {

Format formatFor(std::string_view accept) {
  return accept.find("application/openmetrics-text") != std::string_view::npos ? Format::OpenMetrics
                                                                                : Format::Prometheus;
}

std::string_view contentType(Format format) {
  return format == Format::OpenMetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                       : "text/plain; version=0.0.4; charset=utf-8";
}

void appendNumber(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    fmt::format_to(std::back_inserter(out), "{}", static_cast<int64_t>(value));
  } else {
    fmt::format_to(std::back_inserter(out), "{}", value);
  }
}

void appendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

namespace {

// A bucket bound as a float literal ("0.005", "1.0"): OpenMetrics wants `le` canonical, and
// Prometheus' own clients write it the same way.
std::string boundText(double bound) {
  std::string text = fmt::format("{}", bound);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

}  // namespace

void Exposition::family(std::string_view name, Type type, std::string_view help) {
  name_ = name;
  std::string_view family = name;
  if (type == Type::Counter && format_ == Format::OpenMetrics && family.ends_with("_total")) {
    family.remove_suffix(6);
  }
  const char* type_name = type == Type::Counter ? "counter" : type == Type::Gauge ? "gauge" : "histogram";
  fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", family, help, family, type_name);
}

void Exposition::sample(std::string_view suffix, const Labels& labels, std::initializer_list<Label> extra,
                        double value) {
  out_ += name_;
  out_ += suffix;
  if (!labels.empty() || extra.size() != 0) {
    out_ += '{';
    bool first = true;
    auto label = [&](const Label& l) {
      if (!first) out_ += ',';
      first = false;
      out_ += l.first;
      out_ += "=\"";
      appendLabelValue(out_, l.second);
      out_ += '"';
    };
    for (const Label& l : labels) label(l);
    for (const Label& l : extra) label(l);
    out_ += '}';
  }
  out_ += ' ';
  appendNumber(out_, value);
  out_ += '\n';
}

void Exposition::counter(const Labels& labels, double value) { sample("", labels, {}, value); }
void Exposition::gauge(const Labels& labels, double value) { sample("", labels, {}, value); }

void Exposition::histogram(const Labels& labels, const Histogram& histogram) {
  uint64_t cumulative = 0;
  const auto bounds = Histogram::bounds();
  for (size_t i = 0; i < bounds.size(); ++i) {
    cumulative += histogram.counts()[i];
    const std::string le = boundText(bounds[i]);
    sample("_bucket", labels, {{"le", le}}, static_cast<double>(cumulative));
  }
  cumulative += histogram.counts().back();
  sample("_bucket", labels, {{"le", "+Inf"}}, static_cast<double>(cumulative));
  sample("_sum", labels, {}, histogram.sum());
  sample("_count", labels, {}, static_cast<double>(cumulative));
}

std::string Exposition::finish() {
  if (format_ == Format::OpenMetrics) out_ += "# EOF\n";
  return std::move(out_);
}

}  // namespace gatehouse::metrics
