#pragma once
// Spans leave the process as OTLP over HTTP with the JSON encoding (POST <collector>/v1/traces),
// off the request path:
//
//   worker: SpanBuffer formats a sampled request's spans into its own buffer (no lock, no system
//           call) and hands the buffer to the exporter at kFlushSpans spans or kFlushAfter after
//           its first span;
//   SpanExporter: a bounded queue (kMaxQueuedSpans); a full queue drops the batch and counts it,
//           so a slow or dead collector never blocks a worker; one thread POSTs what is queued.
//
// The collector is http:// or https:// (verified against --otlp-ca-file, or the system's trust
// store: dataplane/observe/collector_connection.h). Export failures are counted, not
// retried: a trace is worth less than the memory to hold it while a collector is down.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/metrics/exposition.h"
#include "common/result.h"
#include "dataplane/observe/collector_connection.h"

namespace gatehouse::dataplane {
struct RequestContext;
}

namespace gatehouse::dataplane::observe {

// An http:// or https:// URL split for the exporter. A URL without a path (or "/") gets OTLP's
// /v1/traces.
struct CollectorUrl {
  bool tls = false;  // https://
  std::string host;  // as written; IPv6 without brackets
  std::string port;  // "80" (http) or "443" (https) when not written
  std::string path;
};
Result<CollectorUrl> parseCollectorUrl(std::string_view url);

struct SpanExportStats {
  uint64_t exported = 0;         // spans a collector accepted (2xx)
  uint64_t dropped_queue_full = 0;
  uint64_t failed = 0;           // spans of requests that failed (connect, non-2xx, timeout)
};

class SpanExporter {
 public:
  static constexpr size_t kMaxQueuedSpans = 8192;
  static constexpr std::chrono::seconds kRequestTimeout{5};

  // `ca_file`: the CA bundle an https:// collector's certificate must chain to (empty: the
  // system's trust store).
  static Result<std::shared_ptr<SpanExporter>> create(std::string_view url, const std::string& ca_file = "");
  SpanExporter(CollectorUrl url, SslContextPtr tls);
  ~SpanExporter();  // sends what is queued (each request bounded by kRequestTimeout), then stops

  // Any thread: queues `count` spans (appendSpans() output joined by ','). False when the queue is
  // full: they are dropped and counted.
  bool submit(std::string spans, size_t count);
  SpanExportStats stats() const;
  // gatehouse_trace_spans_total{outcome}: exported, dropped_queue_full, failed.
  void render(metrics::Exposition& out) const;

 private:
  struct Batch {
    std::string spans;
    size_t count = 0;
  };
  void run();
  bool post(const std::string& body);

  const CollectorUrl url_;
  const SslContextPtr tls_;  // null: http://
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Batch> queue_;
  size_t queued_spans_ = 0;
  bool stopping_ = false;
  std::atomic<uint64_t> exported_{0}, dropped_{0}, failed_{0};
  std::thread thread_;
};

// One worker's spans, flushed to the exporter by count or age. Worker thread only.
class SpanBuffer {
 public:
  static constexpr size_t kFlushSpans = 512;
  static constexpr std::chrono::milliseconds kFlushAfter{1000};

  SpanBuffer(boost::asio::io_context& io, std::shared_ptr<SpanExporter> exporter);
  ~SpanBuffer();  // flushes

  // The spans of a finished, sampled request.
  void append(const RequestContext& ctx);
  void flush();

 private:
  std::shared_ptr<SpanExporter> exporter_;
  boost::asio::steady_timer timer_;
  bool timer_armed_ = false;
  std::string spans_;
  size_t count_ = 0;
};

}  // namespace gatehouse::dataplane::observe
