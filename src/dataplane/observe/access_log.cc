#include "dataplane/observe/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>

#include "dataplane/net/address_text.h"
#include "dataplane/observe/error_type.h"
#include "dataplane/observe/json_escape.h"
#include "dataplane/pipeline/request_context.h"

namespace gatehouse::dataplane::observe {

namespace {

// By hand, not fmt: runtime format strings cost ~60% of a line (callgrind: ~18k instructions per
// request with the access log on, most of it parsing "{}" fields).

void uint(std::string& out, uint64_t v) {
  char text[20];
  const auto end = std::to_chars(text, text + sizeof text, v).ptr;
  out.append(text, static_cast<size_t>(end - text));
}

void key(std::string& out, std::string_view name) {
  out += ",\"";
  out += name;
  out += "\":";
}

void stringOrNull(std::string& out, std::string_view name, std::string_view value, bool present) {
  key(out, name);
  if (present) {
    appendJsonString(out, value);
  } else {
    out += "null";
  }
}

// Milliseconds with three decimals, rounded to the microsecond.
void milliseconds(std::string& out, std::chrono::steady_clock::duration d) {
  const auto us = std::chrono::round<std::chrono::microseconds>(d).count();
  if (us < 0) {
    out += "0.000";
    return;
  }
  uint(out, static_cast<uint64_t>(us / 1000));
  const auto fraction = static_cast<unsigned>(us % 1000);
  const char digits[4] = {'.', static_cast<char>('0' + fraction / 100), static_cast<char>('0' + fraction / 10 % 10),
                          static_cast<char>('0' + fraction % 10)};
  out.append(digits, sizeof digits);
}

// "HOST:PORT" in quotes, IPv6 in brackets.
void hostPort(std::string& out, std::string_view host, bool v6, uint16_t port) {
  out += v6 ? "\"[" : "\"";
  out += host;
  out += v6 ? "]:" : ":";
  uint(out, port);
  out += '"';
}

// {"time":"YYYY-MM-DDTHH:MM:SS.mmmZ": the text up to the seconds is kept per thread and
// recomputed when the second changes.
void timeField(std::string& out, std::chrono::system_clock::time_point wall) {
  thread_local int64_t cached_second = -1;
  thread_local char cached[19];
  const auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count();
  const int64_t second = since_epoch / 1000;
  if (second != cached_second) {
    const std::time_t seconds = static_cast<std::time_t>(second);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[sizeof cached + 1];
    if (std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc) != sizeof cached) {  // a year past 9999
      out += "{\"time\":null";
      return;
    }
    std::memcpy(cached, text, sizeof cached);
    cached_second = second;
  }
  out += "{\"time\":\"";
  out.append(cached, sizeof cached);
  const auto ms = static_cast<unsigned>(since_epoch % 1000);
  const char tail[6] = {'.', static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                        static_cast<char>('0' + ms % 10), 'Z', '"'};
  out.append(tail, sizeof tail);
}

}  // namespace

void appendAccessLogLine(std::string& out, const RequestContext& ctx, std::chrono::system_clock::time_point wall,
                         std::chrono::steady_clock::time_point now) {
  timeField(out, wall);
  const snapshot::Listener* listener = ctx.listener;
  const snapshot::Rule* rule = ctx.rule;
  stringOrNull(out, "gateway", listener ? std::string_view(listener->gateway) : "", listener != nullptr);
  stringOrNull(out, "listener", listener ? std::string_view(listener->name) : "", listener != nullptr);
  stringOrNull(out, "route", rule ? std::string_view(rule->route) : "", rule != nullptr);
  key(out, "rule");
  if (rule == nullptr) {
    out += "null";
  } else if (rule->name.empty()) {
    out += '"';
    uint(out, rule->index);
    out += '"';
  } else {
    appendJsonString(out, rule->name);
  }
  stringOrNull(out, "backend", ctx.cluster ? std::string_view(ctx.cluster->name) : "", ctx.cluster != nullptr);
  if (ctx.endpoint != nullptr && ctx.endpoint->family != snapshot::Endpoint::Family::Invalid) {
    key(out, "endpoint");
    hostPort(out, ctx.endpoint->ip, ctx.endpoint->family == snapshot::Endpoint::Family::V6, ctx.endpoint->port);
  } else {
    stringOrNull(out, "endpoint", ctx.endpoint ? std::string_view(ctx.endpoint->ip) : "", ctx.endpoint != nullptr);
  }
  const http::Request& request = ctx.request;
  stringOrNull(out, "method", request.method, !request.method.empty());
  stringOrNull(out, "authority", request.authority, !request.authority.empty());
  stringOrNull(out, "path", request.path, !request.path.empty());
  key(out, "status");
  uint(out, ctx.status);
  key(out, "bytes_received");
  uint(out, ctx.bytes_received);
  key(out, "bytes_sent");
  uint(out, ctx.bytes_sent);
  key(out, "duration_ms");
  milliseconds(out, ctx.started == std::chrono::steady_clock::time_point{} ? std::chrono::steady_clock::duration{}
                                                                          : now - ctx.started);
  key(out, "upstream_duration_ms");
  if (ctx.upstream_started == std::chrono::steady_clock::time_point{}) {
    out += "null";
  } else {
    milliseconds(out, now - ctx.upstream_started);
  }
  const bool upstream_failed = ctx.error && ctx.error->side == ErrorSide::Upstream;
  stringOrNull(out, "upstream_failure", upstream_failed ? errorTypeOf(ctx.error->kind) : "", upstream_failed);
  key(out, "upstream_attempts");
  if (ctx.upstream_started == std::chrono::steady_clock::time_point{}) {
    out += "null";
  } else {
    uint(out, ctx.retries + 1);
  }
  // The request's trace (observe/tracing.h): the client's, or with tracing on a new one.
  key(out, "trace_id");
  if (ctx.trace.has_trace) {
    char hex[32];
    appendHex(hex, ctx.trace.trace_id.data(), ctx.trace.trace_id.size());
    out += '"';
    out.append(hex, sizeof hex);
    out += '"';
  } else {
    out += "null";
  }
  key(out, "client_address");
  if (ctx.client.port() != 0) {
    char text[64];
    const boost::asio::ip::address ip = ctx.client.address();
    hostPort(out, net::addressText(ip, text), ip.is_v6(), ctx.client.port());
  } else {
    out += "null";
  }
  out += "}\n";
}

// ---- writer ----------------------------------------------------------------------------------

Result<std::shared_ptr<AccessLogWriter>> AccessLogWriter::open(const std::string& path) {
  if (path == "-") return std::make_shared<AccessLogWriter>(STDOUT_FILENO, false);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Error{"--access-log " + path + ": " + std::strerror(errno)};
  return std::make_shared<AccessLogWriter>(fd, true);
}

AccessLogWriter::AccessLogWriter(int fd, bool owned) : fd_(fd), owned_(owned) {
  thread_ = std::thread([this] { run(); });
}

AccessLogWriter::~AccessLogWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  if (owned_) ::close(fd_);
}

void AccessLogWriter::submit(std::string lines) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(lines));
  }
  wake_.notify_one();
}

void AccessLogWriter::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything written
    std::string lines = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    for (size_t done = 0; done < lines.size();) {
      const ssize_t n = ::write(fd_, lines.data() + done, lines.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // a full disk or a closed pipe drops the lines, never the proxy
      done += static_cast<size_t>(n);
    }
    lock.lock();
  }
}

// ---- per-worker buffer -----------------------------------------------------------------------

AccessLogBuffer::AccessLogBuffer(boost::asio::io_context& io, std::shared_ptr<AccessLogWriter> writer)
    : writer_(std::move(writer)), timer_(io) {}

AccessLogBuffer::~AccessLogBuffer() { flush(); }

void AccessLogBuffer::append(const RequestContext& ctx) {
  appendAccessLogLine(lines_, ctx, std::chrono::system_clock::now(), std::chrono::steady_clock::now());
  if (lines_.size() >= kFlushBytes) {
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

void AccessLogBuffer::flush() {
  if (lines_.empty()) return;
  std::string full;
  full.swap(lines_);
  lines_.reserve(full.capacity());
  writer_->submit(std::move(full));
}

}  // namespace gatehouse::dataplane::observe
