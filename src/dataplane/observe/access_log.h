#pragma once
// Access logs: one JSON line per request that got a response (serve --access-log PATH; "-" is
// stdout). Off by default, and then the log phase only tests a null pointer.
//
// Off the request path: a worker formats the line into its own AccessLogBuffer (no lock, no
// system call) and hands the whole buffer to the AccessLogWriter when it passes 64 KiB or 100 ms
// after its first line; the writer's thread does the write(2)s. A slow disk therefore delays
// lines, never requests; lines still queued when the process stops are written before it exits.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"

namespace gatehouse::dataplane {
struct RequestContext;
}

namespace gatehouse::dataplane::observe {

// The line's keys, in order: time, gateway, listener, route, rule, backend, endpoint, method,
// authority, path, status, bytes_received, bytes_sent, duration_ms, upstream_duration_ms (of the
// last attempt), upstream_failure, upstream_attempts (retries included), trace_id (of
// ctx.trace: the client's valid traceparent, or the proxy's new trace when tracing is on),
// client_address. What is not known is null (route when none matched).
void appendAccessLogLine(std::string& out, const RequestContext& ctx, std::chrono::system_clock::time_point wall,
                         std::chrono::steady_clock::time_point now);

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
  AccessLogBuffer(boost::asio::io_context& io, std::shared_ptr<AccessLogWriter> writer);
  ~AccessLogBuffer();  // flushes

  void append(const RequestContext& ctx);
  void flush();

 private:
  static constexpr size_t kFlushBytes = 64 * 1024;
  static constexpr std::chrono::milliseconds kFlushAfter{100};

  std::shared_ptr<AccessLogWriter> writer_;
  boost::asio::steady_timer timer_;
  bool timer_armed_ = false;
  std::string lines_;
};

}  // namespace gatehouse::dataplane::observe
