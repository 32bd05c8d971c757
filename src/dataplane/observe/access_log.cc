#include "dataplane/observe/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "dataplane/observe/error_type.h"
#include "dataplane/observe/json_escape.h"
#include "dataplane/pipeline/request_context.h"

namespace gatehouse::dataplane::observe {

namespace {

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

void milliseconds(std::string& out, std::chrono::steady_clock::duration d) {
  fmt::format_to(std::back_inserter(out), "{:.3f}", std::chrono::duration<double, std::milli>(d).count());
}

void address(std::string& out, std::string_view name, const boost::asio::ip::address& ip, uint16_t port) {
  key(out, name);
  const std::string text = ip.to_string();
  if (ip.is_v6()) {
    fmt::format_to(std::back_inserter(out), "\"[{}]:{}\"", text, port);
  } else {
    fmt::format_to(std::back_inserter(out), "\"{}:{}\"", text, port);
  }
}

}  // namespace

void appendAccessLogLine(std::string& out, const RequestContext& ctx, std::chrono::system_clock::time_point wall,
                         std::chrono::steady_clock::time_point now) {
  const auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(since_epoch / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  fmt::format_to(std::back_inserter(out), "{{\"time\":\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z\"", utc.tm_year + 1900,
                 utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, since_epoch % 1000);

  const snapshot::Listener* listener = ctx.listener;
  const snapshot::Rule* rule = ctx.rule;
  stringOrNull(out, "gateway", listener ? std::string_view(listener->gateway) : "", listener != nullptr);
  stringOrNull(out, "listener", listener ? std::string_view(listener->name) : "", listener != nullptr);
  stringOrNull(out, "route", rule ? std::string_view(rule->route) : "", rule != nullptr);
  key(out, "rule");
  if (rule == nullptr) {
    out += "null";
  } else if (rule->name.empty()) {
    fmt::format_to(std::back_inserter(out), "\"{}\"", rule->index);
  } else {
    appendJsonString(out, rule->name);
  }
  stringOrNull(out, "backend", ctx.cluster ? std::string_view(ctx.cluster->name) : "", ctx.cluster != nullptr);
  if (ctx.endpoint != nullptr && ctx.endpoint->family != snapshot::Endpoint::Family::Invalid) {
    key(out, "endpoint");
    if (ctx.endpoint->family == snapshot::Endpoint::Family::V6) {
      fmt::format_to(std::back_inserter(out), "\"[{}]:{}\"", ctx.endpoint->ip, ctx.endpoint->port);
    } else {
      fmt::format_to(std::back_inserter(out), "\"{}:{}\"", ctx.endpoint->ip, ctx.endpoint->port);
    }
  } else {
    stringOrNull(out, "endpoint", ctx.endpoint ? std::string_view(ctx.endpoint->ip) : "", ctx.endpoint != nullptr);
  }
  const http::Request& request = ctx.request;
  stringOrNull(out, "method", request.method, !request.method.empty());
  stringOrNull(out, "authority", request.authority, !request.authority.empty());
  stringOrNull(out, "path", request.path, !request.path.empty());
  fmt::format_to(std::back_inserter(out), ",\"status\":{},\"bytes_received\":{},\"bytes_sent\":{},\"duration_ms\":",
                 ctx.status, ctx.bytes_received, ctx.bytes_sent);
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
    fmt::format_to(std::back_inserter(out), "{}", ctx.retries + 1);
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
  if (ctx.client.port() != 0) {
    address(out, "client_address", ctx.client.address(), ctx.client.port());
  } else {
    stringOrNull(out, "client_address", "", false);
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
