#include "dataplane/observe/span_exporter.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "dataplane/observe/otlp_json.h"
#include "dataplane/pipeline/request_context.h"

namespace gatehouse::dataplane::observe {

Result<CollectorUrl> parseCollectorUrl(std::string_view url) {
  CollectorUrl parsed;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    parsed.tls = true;
  } else {
    return Error{fmt::format("--otlp-endpoint {}: give an http:// or https:// URL", url)};
  }
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Error{fmt::format("--otlp-endpoint {}: unclosed [", url)};
    parsed.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return Error{fmt::format("--otlp-endpoint {}: bad port", url)};
      port = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.rfind(':');
    parsed.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (parsed.host.empty()) return Error{fmt::format("--otlp-endpoint {}: no host", url)};
  if (port.empty() && authority.find(':') != std::string_view::npos && authority.front() != '[') {
    return Error{fmt::format("--otlp-endpoint {}: bad port", url)};
  }
  for (char c : port) {
    if (c < '0' || c > '9') return Error{fmt::format("--otlp-endpoint {}: bad port", url)};
  }
  parsed.port = !port.empty() ? std::string(port) : parsed.tls ? "443" : "80";
  parsed.path = path.empty() || path == "/" ? "/v1/traces" : std::string(path);
  return parsed;
}

Result<std::shared_ptr<SpanExporter>> SpanExporter::create(std::string_view url, const std::string& ca_file) {
  auto parsed = parseCollectorUrl(url);
  if (!parsed) return parsed.error();
  SslContextPtr tls;
  if (parsed.value().tls) {
    auto context = collectorTlsContext(ca_file);
    if (!context) return context.error();
    tls = std::move(context.value());
  } else if (!ca_file.empty()) {
    return Error{fmt::format("--otlp-ca-file {}: the collector {} is not https://", ca_file, url)};
  }
  return std::make_shared<SpanExporter>(std::move(parsed.value()), std::move(tls));
}

SpanExporter::SpanExporter(CollectorUrl url, SslContextPtr tls) : url_(std::move(url)), tls_(std::move(tls)) {
  thread_ = std::thread([this] { run(); });
}

SpanExporter::~SpanExporter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

bool SpanExporter::submit(std::string spans, size_t count) {
  {
    std::lock_guard lock(mu_);
    if (queued_spans_ + count > kMaxQueuedSpans) {
      dropped_.fetch_add(count, std::memory_order_relaxed);
      return false;
    }
    queued_spans_ += count;
    queue_.push_back({std::move(spans), count});
  }
  wake_.notify_one();
  return true;
}

SpanExportStats SpanExporter::stats() const {
  return {exported_.load(std::memory_order_relaxed), dropped_.load(std::memory_order_relaxed),
          failed_.load(std::memory_order_relaxed)};
}

void SpanExporter::render(metrics::Exposition& out) const {
  const SpanExportStats s = stats();
  out.family("gatehouse_trace_spans_total", metrics::Type::Counter,
             "Spans by export outcome: exported (the collector answered 2xx), dropped_queue_full, failed.");
  out.counter({{"outcome", "exported"}}, static_cast<double>(s.exported));
  out.counter({{"outcome", "dropped_queue_full"}}, static_cast<double>(s.dropped_queue_full));
  out.counter({{"outcome", "failed"}}, static_cast<double>(s.failed));
}

void SpanExporter::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything sent
    // Everything queued goes in one request.
    std::string spans;
    size_t count = 0;
    while (!queue_.empty()) {
      Batch& batch = queue_.front();
      if (!spans.empty()) spans += ',';
      spans += batch.spans;
      count += batch.count;
      queue_.pop_front();
    }
    queued_spans_ = 0;
    lock.unlock();
    if (post(exportRequest(spans))) {
      exported_.fetch_add(count, std::memory_order_relaxed);
    } else {
      failed_.fetch_add(count, std::memory_order_relaxed);
    }
    lock.lock();
  }
}

bool SpanExporter::post(const std::string& body) {
  std::optional<CollectorConnection> connection = CollectorConnection::open(url_, tls_.get(), kRequestTimeout);
  if (!connection) {
    spdlog::debug("tracing: cannot connect to the collector {}:{}{}", url_.host, url_.port, tls_ ? " over TLS" : "");
    return false;
  }
  const bool v6 = url_.host.find(':') != std::string::npos;
  const std::string head = fmt::format(
      "POST {} HTTP/1.1\r\nHost: {}{}{}:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
      "Connection: close\r\n\r\n",
      url_.path, v6 ? "[" : "", url_.host, v6 ? "]" : "", url_.port, body.size());
  if (!connection->writeAll(head) || !connection->writeAll(body)) return false;
  // The status line decides ("HTTP/1.1 200 ..."); the rest (a partial-success report) is read
  // and dropped up to the collector's close (Connection: close), so that our close does not
  // reset the connection under its reply.
  char reply[4096];
  char status[12];
  size_t got = 0;
  for (size_t total = 0; total < 1024 * 1024;) {
    const size_t n = connection->read(reply, sizeof reply);
    if (n == 0) break;
    for (size_t i = 0; i < n && got < sizeof status; ++i) status[got++] = reply[i];
    total += n;
  }
  const bool ok = got == sizeof status && std::string_view(status, 5) == "HTTP/" && status[9] == '2';
  if (!ok) spdlog::debug("tracing: the collector refused {} bytes of spans", body.size());
  return ok;
}

// ---- per-worker buffer -----------------------------------------------------------------------

SpanBuffer::SpanBuffer(boost::asio::io_context& io, std::shared_ptr<SpanExporter> exporter)
    : exporter_(std::move(exporter)), timer_(io) {}

SpanBuffer::~SpanBuffer() { flush(); }

void SpanBuffer::append(const RequestContext& ctx) {
  if (count_ > 0) spans_ += ',';
  count_ += appendSpans(spans_, ctx, std::chrono::system_clock::now(), std::chrono::steady_clock::now());
  if (count_ >= kFlushSpans) {
    flush();
  } else if (!timer_armed_) {
    timer_armed_ = true;
    timer_.expires_after(kFlushAfter);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: the buffer is going away
      timer_armed_ = false;
      flush();
    });
  }
}

void SpanBuffer::flush() {
  if (count_ == 0) return;
  std::string full;
  full.swap(spans_);
  spans_.reserve(full.capacity());
  exporter_->submit(std::move(full), count_);
  count_ = 0;
}

}  // namespace gatehouse::dataplane::observe
