#include "dataplane/observe/span_exporter.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "dataplane/observe/otlp_json.h"
#include "dataplane/pipeline/request_context.h"

namespace gatehouse::dataplane::observe {

Result<CollectorUrl> parseCollectorUrl(std::string_view url) {
  static constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Error{fmt::format("--otlp-endpoint {}: only http:// collectors are supported", url)};
  }
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  CollectorUrl parsed;
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
  parsed.port = port.empty() ? "80" : std::string(port);
  parsed.path = path.empty() || path == "/" ? "/v1/traces" : std::string(path);
  return parsed;
}

Result<std::shared_ptr<SpanExporter>> SpanExporter::create(std::string_view url) {
  auto parsed = parseCollectorUrl(url);
  if (!parsed) return parsed.error();
  return std::make_shared<SpanExporter>(std::move(parsed.value()));
}

SpanExporter::SpanExporter(CollectorUrl url) : url_(std::move(url)) {
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

namespace {

// A socket connected to host:port within `timeout`, or -1.
int connectTo(const CollectorUrl& url, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    // On Linux SO_SNDTIMEO bounds connect() too.
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  return fd;
}

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

bool SpanExporter::post(const std::string& body) {
  const int fd = connectTo(url_, kRequestTimeout);
  if (fd < 0) {
    spdlog::debug("tracing: cannot connect to the collector {}:{}", url_.host, url_.port);
    return false;
  }
  const bool v6 = url_.host.find(':') != std::string::npos;
  const std::string head = fmt::format(
      "POST {} HTTP/1.1\r\nHost: {}{}{}:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
      "Connection: close\r\n\r\n",
      url_.path, v6 ? "[" : "", url_.host, v6 ? "]" : "", url_.port, body.size());
  bool ok = writeAll(fd, head) && writeAll(fd, body);
  if (ok) {
    // The status line decides ("HTTP/1.1 200 ..."); the rest (a partial-success report) is read
    // and dropped up to the collector's close (Connection: close), so that our close does not
    // reset the connection under its reply.
    char reply[4096];
    char status[12];
    size_t got = 0;
    for (size_t total = 0; total < 1024 * 1024;) {
      const ssize_t n = ::recv(fd, reply, sizeof reply, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      for (ssize_t i = 0; i < n && got < sizeof status; ++i) status[got++] = reply[i];
      total += static_cast<size_t>(n);
    }
    ok = got == sizeof status && std::string_view(status, 5) == "HTTP/" && status[9] == '2';
    if (!ok) spdlog::debug("tracing: the collector refused {} bytes of spans", body.size());
  }
  ::close(fd);
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
