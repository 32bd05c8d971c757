#pragma once
// Writes metric families in the Prometheus text format 0.0.4 or in OpenMetrics 1.0.0 (chosen by
// the scraper's Accept header, see formatFor()). Families are written whole, one after another:
// a family's samples must all be given between its family() call and the next.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/metrics/histogram.h"

namespace gatehouse::metrics {

enum class Format { Prometheus, OpenMetrics };

// OpenMetrics when the Accept header lists application/openmetrics-text, else Prometheus text.
Format formatFor(std::string_view accept);
std::string_view contentType(Format format);

enum class Type { Counter, Gauge, Histogram };

using Label = std::pair<std::string_view, std::string_view>;
using Labels = std::vector<Label>;

class Exposition {
 public:
  explicit Exposition(Format format) : format_(format) {}

  // Starts a family. Counters are named with their `_total` suffix; OpenMetrics drops it from
  // the family's TYPE and HELP lines, as its spec requires.
  void family(std::string_view name, Type type, std::string_view help);
  void counter(const Labels& labels, double value);
  void gauge(const Labels& labels, double value);
  // Cumulative `_bucket` samples (le="+Inf" last), then `_sum` and `_count`.
  void histogram(const Labels& labels, const Histogram& histogram);

  // The text, with OpenMetrics' closing "# EOF".
  std::string finish();

 private:
  void sample(std::string_view suffix, const Labels& labels, std::initializer_list<Label> extra, double value);

  Format format_;
  std::string name_;
  std::string out_;
};

// A number as both formats accept it: integers without exponent or fraction, others in the
// shortest form that reads back exactly; +Inf, -Inf, NaN spelled as the formats require.
void appendNumber(std::string& out, double value);
// A label value with backslash, double quote and line feed escaped.
void appendLabelValue(std::string& out, std::string_view value);

}  // namespace gatehouse::metrics
