#include "dataplane/observe/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "dataplane/observe/error_type.h"
#include "dataplane/observe/json_escape.h"
#include "dataplane/pipeline/request_context.h"

namespace gatehouse::dataplane::observe {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
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

std::string_view accessLogFieldName(AccessLogField field) {
  static constexpr std::array<std::string_view, kAccessLogFields> kNames{
      "time",           "gateway",          "listener",          "route",    "rule",
      "backend",        "endpoint",         "method",            "authority", "path",
      "status",         "bytes_received",   "bytes_sent",        "duration_ms",
      "upstream_duration_ms", "upstream_failure", "upstream_attempts", "trace_id", "client_address"};
  return kNames[static_cast<size_t>(field)];
}

Result<AccessLogFields> AccessLogFields::parse(std::string_view list) {
  uint32_t bits = 0;
  for (size_t start = 0; start <= list.size();) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    const std::string_view name = trim(list.substr(start, comma - start));
    start = comma + 1;
    if (name.empty()) continue;
    size_t i = 0;
    while (i < kAccessLogFields && accessLogFieldName(static_cast<AccessLogField>(i)) != name) ++i;
    if (i == kAccessLogFields) {
      std::string known;
      for (size_t k = 0; k < kAccessLogFields; ++k)
        known += (k ? ", " : "") + std::string(accessLogFieldName(static_cast<AccessLogField>(k)));
      return Error{"unknown access log field \"" + std::string(name) + "\" (known: " + known + ")"};
    }
    bits |= uint32_t{1} << i;
  }
  if (bits == 0) return Error{"no access log field named"};
  return AccessLogFields(bits);
}

bool alwaysLogged(const RequestContext& ctx) {
  return ctx.status >= 500 || ctx.status == 0 || (ctx.error && ctx.error->side == ErrorSide::Upstream);
}

void appendAccessLogLine(std::string& out, const RequestContext& ctx, std::chrono::system_clock::time_point wall,
                         std::chrono::steady_clock::time_point now, AccessLogFields fields) {
  using F = AccessLogField;
  // Every key is written after a ','; the first of the line's becomes its '{'.
  const size_t line_start = out.size();
  if (fields.has(F::Time)) {
    const auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(since_epoch / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    fmt::format_to(std::back_inserter(out), ",\"time\":\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z\"",
                   utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                   since_epoch % 1000);
  }

  const snapshot::Listener* listener = ctx.listener;
  const snapshot::Rule* rule = ctx.rule;
  if (fields.has(F::Gateway))
    stringOrNull(out, "gateway", listener ? std::string_view(listener->gateway) : "", listener != nullptr);
  if (fields.has(F::Listener))
    stringOrNull(out, "listener", listener ? std::string_view(listener->name) : "", listener != nullptr);
  if (fields.has(F::Route)) stringOrNull(out, "route", rule ? std::string_view(rule->route) : "", rule != nullptr);
  if (fields.has(F::Rule)) {
    key(out, "rule");
    if (rule == nullptr) {
      out += "null";
    } else if (rule->name.empty()) {
      fmt::format_to(std::back_inserter(out), "\"{}\"", rule->index);
    } else {
      appendJsonString(out, rule->name);
    }
  }
  if (fields.has(F::Backend))
    stringOrNull(out, "backend", ctx.cluster ? std::string_view(ctx.cluster->name) : "", ctx.cluster != nullptr);
  if (fields.has(F::Endpoint)) {
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
  }
  const http::Request& request = ctx.request;
  if (fields.has(F::Method)) stringOrNull(out, "method", request.method, !request.method.empty());
  if (fields.has(F::Authority)) stringOrNull(out, "authority", request.authority, !request.authority.empty());
  if (fields.has(F::Path)) stringOrNull(out, "path", request.path, !request.path.empty());
  if (fields.has(F::Status)) fmt::format_to(std::back_inserter(out), ",\"status\":{}", ctx.status);
  if (fields.has(F::BytesReceived)) fmt::format_to(std::back_inserter(out), ",\"bytes_received\":{}", ctx.bytes_received);
  if (fields.has(F::BytesSent)) fmt::format_to(std::back_inserter(out), ",\"bytes_sent\":{}", ctx.bytes_sent);
  if (fields.has(F::DurationMs)) {
    key(out, "duration_ms");
    milliseconds(out, ctx.started == std::chrono::steady_clock::time_point{} ? std::chrono::steady_clock::duration{}
                                                                            : now - ctx.started);
  }
  const bool went_upstream = ctx.upstream_started != std::chrono::steady_clock::time_point{};
  if (fields.has(F::UpstreamDurationMs)) {
    key(out, "upstream_duration_ms");
    if (went_upstream) {
      milliseconds(out, now - ctx.upstream_started);
    } else {
      out += "null";
    }
  }
  if (fields.has(F::UpstreamFailure)) {
    const bool upstream_failed = ctx.error && ctx.error->side == ErrorSide::Upstream;
    stringOrNull(out, "upstream_failure", upstream_failed ? errorTypeOf(ctx.error->kind) : "", upstream_failed);
  }
  if (fields.has(F::UpstreamAttempts)) {
    key(out, "upstream_attempts");
    if (went_upstream) {
      fmt::format_to(std::back_inserter(out), "{}", ctx.retries + 1);
    } else {
      out += "null";
    }
  }
  // The request's trace (observe/tracing.h): the client's, or with tracing on a new one.
  if (fields.has(F::TraceId)) {
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
  }
  if (fields.has(F::ClientAddress)) {
    if (ctx.client.port() != 0) {
      address(out, "client_address", ctx.client.address(), ctx.client.port());
    } else {
      stringOrNull(out, "client_address", "", false);
    }
  }
  out[line_start] = '{';  // parse() refuses an empty set: there is a first key
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

AccessLogBuffer::AccessLogBuffer(boost::asio::io_context& io, const AccessLogOptions& options, uint64_t seed)
    : writer_(options.writer), fields_(options.fields), rng_(seed), timer_(io) {
  // 2^64 * sampling, computed once; a draw below it is a sampled request.
  const double below = std::max(options.sampling, 0.0) * 0x1.0p64;
  if (below < 0x1.0p64) sample_below_ = static_cast<uint64_t>(below);
}

AccessLogBuffer::~AccessLogBuffer() { flush(); }

bool AccessLogBuffer::sampled() {
  if (!sample_below_) return true;
  // splitmix64: a few instructions on this worker's own state.
  uint64_t z = (rng_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return (z ^ (z >> 31)) < *sample_below_;
}

void AccessLogBuffer::append(const RequestContext& ctx) {
  if (!sampled() && !alwaysLogged(ctx)) return;
  appendAccessLogLine(lines_, ctx, std::chrono::system_clock::now(), std::chrono::steady_clock::now(), fields_);
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
