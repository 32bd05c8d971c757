#include "common/metrics/exposition.h"

#include <gtest/gtest.h>

namespace gatehouse::metrics {
namespace {

TEST(Exposition, PrometheusTextByDefaultOpenMetricsWhenAccepted) {
  EXPECT_EQ(formatFor(""), Format::Prometheus);
  EXPECT_EQ(formatFor("text/plain;version=0.0.4;q=0.3,*/*;q=0.1"), Format::Prometheus);
  EXPECT_EQ(formatFor("application/openmetrics-text;version=1.0.0,text/plain;q=0.5"), Format::OpenMetrics);
  EXPECT_EQ(contentType(Format::Prometheus), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(contentType(Format::OpenMetrics), "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

TEST(Exposition, CounterKeepsTotalInPrometheusTextAndDropsItFromOpenMetricsFamily) {
  Exposition text(Format::Prometheus);
  text.family("requests_total", Type::Counter, "Requests.");
  text.counter({{"code", "200"}}, 3);
  EXPECT_EQ(text.finish(), "# HELP requests_total Requests.\n# TYPE requests_total counter\nrequests_total{code=\"200\"} 3\n");

  Exposition open(Format::OpenMetrics);
  open.family("requests_total", Type::Counter, "Requests.");
  open.counter({{"code", "200"}}, 3);
  EXPECT_EQ(open.finish(), "# HELP requests Requests.\n# TYPE requests counter\nrequests_total{code=\"200\"} 3\n# EOF\n");
}

TEST(Exposition, LabelValuesEscapeBackslashQuoteAndNewline) {
  Exposition out(Format::Prometheus);
  out.family("g", Type::Gauge, "G.");
  out.gauge({{"v", "a\\b\"c\nd"}, {"empty", ""}}, 1.5);
  EXPECT_EQ(out.finish(), "# HELP g G.\n# TYPE g gauge\ng{v=\"a\\\\b\\\"c\\nd\",empty=\"\"} 1.5\n");
}

TEST(Exposition, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Histogram h;
  h.observe(0.00390625);  // first bucket (le 0.005); binary fractions keep the sum exact
  h.observe(0.25);        // a value on a bound counts in that bound's bucket
  h.observe(0.375);       // le 0.5
  h.observe(64);          // +Inf only
  Exposition out(Format::Prometheus);
  out.family("d_seconds", Type::Histogram, "D.");
  out.histogram({{"m", "GET"}}, h);
  EXPECT_EQ(out.finish(),
            "# HELP d_seconds D.\n# TYPE d_seconds histogram\n"
            "d_seconds_bucket{m=\"GET\",le=\"0.005\"} 1\n"
            "d_seconds_bucket{m=\"GET\",le=\"0.01\"} 1\n"
            "d_seconds_bucket{m=\"GET\",le=\"0.025\"} 1\n"
            "d_seconds_bucket{m=\"GET\",le=\"0.05\"} 1\n"
            "d_seconds_bucket{m=\"GET\",le=\"0.075\"} 1\n"
            "d_seconds_bucket{m=\"GET\",le=\"0.1\"} 1\n"
            "d_seconds_bucket{m=\"GET\",le=\"0.25\"} 2\n"
            "d_seconds_bucket{m=\"GET\",le=\"0.5\"} 3\n"
            "d_seconds_bucket{m=\"GET\",le=\"0.75\"} 3\n"
            "d_seconds_bucket{m=\"GET\",le=\"1.0\"} 3\n"
            "d_seconds_bucket{m=\"GET\",le=\"2.5\"} 3\n"
            "d_seconds_bucket{m=\"GET\",le=\"5.0\"} 3\n"
            "d_seconds_bucket{m=\"GET\",le=\"7.5\"} 3\n"
            "d_seconds_bucket{m=\"GET\",le=\"10.0\"} 3\n"
            "d_seconds_bucket{m=\"GET\",le=\"+Inf\"} 4\n"
            "d_seconds_sum{m=\"GET\"} 64.62890625\n"
            "d_seconds_count{m=\"GET\"} 4\n");
}

TEST(Exposition, HistogramsMergeBucketBySum) {
  Histogram a;
  Histogram b;
  a.observe(0.02);
  b.observe(0.02);
  b.observe(3);
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.counts()[2], 2u);  // le 0.025
  EXPECT_EQ(a.counts()[11], 1u);  // le 5
  EXPECT_DOUBLE_EQ(a.sum(), 3.04);
}

TEST(Exposition, NumbersInBothFormatsSpelling) {
  std::string out;
  appendNumber(out, 0);
  out += ' ';
  appendNumber(out, 12345678);
  out += ' ';
  appendNumber(out, 0.25);
  out += ' ';
  appendNumber(out, 1.0 / 0.0);
  EXPECT_EQ(out, "0 12345678 0.25 +Inf");
}

}  // namespace
}  // namespace gatehouse::metrics
