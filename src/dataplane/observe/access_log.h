#pragma once
// Access logs: one JSON line per request that got a response (serve --access-log PATH; "-" is
// stdout). Off by default, and then the log phase only tests a null pointer. Which keys a line
// has (--access-log-fields) is a bitmask parsed once at startup; which requests get a line
// (--access-log-sampling) is drawn from the worker buffer's own generator: no lock, no shared
// atomic per request. A failed request (alwaysLogged()) always gets its line.
//
// Off the request path: a worker formats the line into its own AccessLogBuffer (no lock, no
// system call) and hands the whole buffer to the AccessLogWriter when it passes 64 KiB or 100 ms
// after its first line; the writer's thread does the write(2)s. A slow disk therefore delays
// lines, never requests; lines still queued when the process stops are written before it exits.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "common/result.h"
#include "dataplane/observe/access_log_fields.h"

namespace gatehouse::dataplane {
struct RequestContext;
}

namespace gatehouse::dataplane::observe {

// The line's keys (those in `fields`), in order: time, gateway, listener, route, rule, backend,
// endpoint, method, authority, path, status, bytes_received, bytes_sent, duration_ms,
// upstream_duration_ms (of the last attempt), upstream_failure, upstream_attempts (retries
// included), trace_id (of ctx.trace: the client's valid traceparent, or the proxy's new trace
// when tracing is on), client_address. What is not known is null (route when none matched).
void appendAccessLogLine(std::string& out, const RequestContext& ctx, std::chrono::system_clock::time_point wall,
                         std::chrono::steady_clock::time_point now, AccessLogFields fields = AccessLogFields::all());

// A request that failed: logged whatever the sampling. Status >= 500, no response (the client
// went first), or an upstream failure (whatever status it became). A 4xx is the client's error:
// sampled like the rest.
bool alwaysLogged(const RequestContext& ctx);

class AccessLogWriter {
 public:
  // Opens PATH for appending (created 0644 if missing), or stdout for "-".
  static Result<std::shared_ptr<AccessLogWriter>> open(const std::string& path);
  ~AccessLogWriter();  // writes what is queued, then closes
  AccessLogWriter(int fd, bool owned);

  // Any thread: queues a buffer of whole lines.
  void submit(std::string lines);

 private:
  void run();

  const int fd_;
  const bool owned_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

// One worker's lines, flushed to the writer by size or age. Worker thread only.
class AccessLogBuffer {
 public:
  AccessLogBuffer(boost::asio::io_context& io, const AccessLogOptions& options, uint64_t seed);
  ~AccessLogBuffer();  // flushes

  // Writes ctx's line when it is sampled or alwaysLogged().
  void append(const RequestContext& ctx);
  void flush();

 private:
  static constexpr size_t kFlushBytes = 64 * 1024;
  static constexpr std::chrono::milliseconds kFlushAfter{100};

  bool sampled();

  std::shared_ptr<AccessLogWriter> writer_;
  const AccessLogFields fields_;
  // A line when a draw of rng_ is below it; nullopt: every request (sampling 1).
  std::optional<uint64_t> sample_below_;
  uint64_t rng_;  // splitmix64 state
  boost::asio::steady_timer timer_;
  bool timer_armed_ = false;
  std::string lines_;
};

}  // namespace gatehouse::dataplane::observe
