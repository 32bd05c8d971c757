#include "dataplane/observe/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
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

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

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

// ,"time":"YYYY-MM-DDTHH:MM:SS.mmmZ": the text up to the seconds is kept per thread and
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
      out += ",\"time\":null";
      return;
    }
    std::memcpy(cached, text, sizeof cached);
    cached_second = second;
  }
  out += ",\"time\":\"";
  out.append(cached, sizeof cached);
  const auto ms = static_cast<unsigned>(since_epoch % 1000);
  const char tail[6] = {'.', static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                        static_cast<char>('0' + ms % 10), 'Z', '"'};
  out.append(tail, sizeof tail);
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
  if (fields.has(F::Time)) timeField(out, wall);

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
      out += '"';
      uint(out, rule->index);
      out += '"';
    } else {
      appendJsonString(out, rule->name);
    }
  }
  if (fields.has(F::Backend))
    stringOrNull(out, "backend", ctx.cluster ? std::string_view(ctx.cluster->name) : "", ctx.cluster != nullptr);
  if (fields.has(F::Endpoint)) {
    if (ctx.endpoint != nullptr && ctx.endpoint->family != snapshot::Endpoint::Family::Invalid) {
      key(out, "endpoint");
      hostPort(out, ctx.endpoint->ip, ctx.endpoint->family == snapshot::Endpoint::Family::V6, ctx.endpoint->port);
    } else {
      stringOrNull(out, "endpoint", ctx.endpoint ? std::string_view(ctx.endpoint->ip) : "", ctx.endpoint != nullptr);
    }
  }
  const http::Request& request = ctx.request;
  if (fields.has(F::Method)) stringOrNull(out, "method", request.method, !request.method.empty());
  if (fields.has(F::Authority)) stringOrNull(out, "authority", request.authority, !request.authority.empty());
  if (fields.has(F::Path)) stringOrNull(out, "path", request.path, !request.path.empty());
  if (fields.has(F::Status)) {
    key(out, "status");
    uint(out, ctx.status);
  }
  if (fields.has(F::BytesReceived)) {
    key(out, "bytes_received");
    uint(out, ctx.bytes_received);
  }
  if (fields.has(F::BytesSent)) {
    key(out, "bytes_sent");
    uint(out, ctx.bytes_sent);
  }
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
      uint(out, ctx.retries + 1);
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
    key(out, "client_address");
    if (ctx.client.port() != 0) {
      char text[64];
      const boost::asio::ip::address ip = ctx.client.address();
      hostPort(out, net::addressText(ip, text), ip.is_v6(), ctx.client.port());
    } else {
      out += "null";
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
