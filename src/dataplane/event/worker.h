#pragma once
// One worker: one thread running one io_context, sharing nothing with the other workers. The
// control thread talks to a worker only by posting to its io_context (the snapshot handoff is
// such a post), so nothing on the request path takes a lock.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <thread>
#include <vector>

#include "dataplane/event/idle_list.h"
#include "dataplane/generation.h"
#include "dataplane/observe/request_metrics.h"
#include "dataplane/options.h"
#include "dataplane/upstream/pool.h"

namespace gatehouse::dataplane {

namespace net {
class Acceptor;
struct ListenFd;
struct SocketRole;
}  // namespace net
namespace upstream {
class H2cClients;
}
namespace redis {
class RedisClient;
}
namespace observe {
class AccessLogBuffer;
class SpanBuffer;
}
}  // namespace gatehouse::dataplane
namespace gatehouse::filters {
class Mirrors;
}
namespace gatehouse::dataplane {

struct RequestContext;
class UdpProxy;

class Worker {
 public:
  Worker(unsigned index, const Options& options);
  ~Worker();  // stops and joins the thread
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // Any thread. Stops the loop and joins; pending connections are destroyed with the loop.
  void stop();
  // Any thread: runs `fn` on the worker thread.
  template <typename Fn>
  void post(Fn&& fn) {
    boost::asio::post(io_, std::forward<Fn>(fn));
  }

  boost::asio::io_context& io() { return io_; }
  unsigned index() const { return index_; }
  const Options& options() const { return options_; }

  // ---- worker thread only -------------------------------------------------------------------
  const GenerationPtr& generation() const { return generation_; }
  void setGeneration(GenerationPtr generation);
  // xoshiro256** — a few ns per draw, no shared state (weighted backend choice).
  uint64_t random();
  // Next endpoint index for round-robin over `endpoints` endpoints of cluster `cluster` of the
  // current generation (the counters reset when the generation changes).
  size_t nextEndpoint(uint32_t cluster, size_t endpoints);
  upstream::Pool& upstreams() { return *upstreams_; }
  upstream::H2cClients& h2c() { return *h2c_; }
  filters::Mirrors& mirrors() { return *mirrors_; }
  // The connection to the global rate limits' Redis; null when none is configured.
  redis::RedisClient* redis() { return redis_.get(); }
  IdleList& idle() { return *idle_; }
  // The log phase: counts the request in metrics() and writes its access log line (when on).
  void observe(const RequestContext& ctx);
  // A failed upstream attempt that is retried (pipeline/retry.h): counted in the client leg.
  void observeAttempt(const RequestContext& ctx, uint16_t status, const std::optional<ProxyError>& error);
  observe::RequestMetrics& metrics() { return *metrics_; }
  // Tracing is on (Options::traces): requests get spans and the proxy's trace context goes upstream.
  bool tracing() const { return spans_ != nullptr; }
  // Something reads a request's trace context (tracing, or the access log's trace_id).
  bool readsTraceContext() const { return spans_ != nullptr || access_log_ != nullptr; }
  // The request pipeline's log phase calls this once per request (see pipeline/pipeline.h).
  void setRequestLogHook(std::function<void(const RequestContext&)> hook) { request_log_hook_ = std::move(hook); }
  const std::function<void(const RequestContext&)>& requestLogHook() const { return request_log_hook_; }

  // Read buffers (Limits::read_buffer_bytes each) are borrowed by active connections and given
  // back when a connection goes idle, so idle keep-alive connections hold none.
  std::unique_ptr<char[]> takeBuffer();
  void giveBuffer(std::unique_ptr<char[]> buffer);

  // Starts accepting (UDP: receiving) on `fd` for the socket `identity` (takes ownership of the fd).
  void addAcceptor(const std::string& identity, net::SocketRole role, uint16_t port, net::ListenFd fd);
  // Stops accepting for that socket identity and drains its connections (UDP: ends its sessions).
  void closeAcceptor(const std::string& identity);
  size_t acceptorCount() const { return acceptors_.size(); }

 private:
  const unsigned index_;
  const Options options_;
  // Before io_: connections (destroyed with io_) decrement their counters here.
  std::unique_ptr<observe::RequestMetrics> metrics_;
  boost::asio::io_context io_;  // first member: destroyed last, after everything holding sockets
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<upstream::Pool> upstreams_;
  std::unique_ptr<upstream::H2cClients> h2c_;
  std::unique_ptr<filters::Mirrors> mirrors_;
  std::shared_ptr<redis::RedisClient> redis_;  // its coroutines hold it too
  std::unique_ptr<IdleList> idle_;
  std::unique_ptr<observe::AccessLogBuffer> access_log_;  // null when access logs are off
  std::unique_ptr<observe::SpanBuffer> spans_;            // null when tracing is off
  GenerationPtr generation_;
  std::function<void(const RequestContext&)> request_log_hook_;
  std::vector<uint32_t> round_robin_;
  std::vector<std::unique_ptr<char[]>> spare_buffers_;
  std::unordered_map<std::string, std::shared_ptr<net::Acceptor>> acceptors_;
  std::unordered_map<std::string, std::shared_ptr<UdpProxy>> udp_proxies_;
  uint64_t rng_[4];
  std::thread thread_;
};

}  // namespace gatehouse::dataplane
