#pragma once
// The data plane: N workers (one thread + io_context each, shared nothing) serving the sockets of
// the current snapshot. Called from the control thread only.
//
// apply() binds the sockets that are new in the snapshot (one SO_REUSEPORT listening socket per
// worker for the same addr:port, bound here so errors come back synchronously), keeps sockets
// whose Socket::identity() is unchanged (their acceptors and open connections are untouched),
// closes the acceptors of sockets that disappeared (their connections finish the current request,
// then close) and posts the new generation (snapshot + TLS contexts) to every worker. A request
// pins the generation current when its head is complete; in-flight requests finish on the one
// they started with. See docs/design/event-loop.md.
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dataplane/net/listen_socket.h"
#include "dataplane/observe/request_metrics.h"
#include "dataplane/options.h"
#include "dataplane/policies/global_rate_limiter.h"
#include "dataplane/policies/local_rate_limiter.h"
#include "dataplane/tls/server_context.h"
#include "dataplane/tls/upstream_context.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane {

class Worker;
struct RequestContext;

// A socket of the snapshot that cannot serve (the controller reports the Gateway's listeners on
// it as Programmed=False, reason AddressNotUsable).
struct BindError {
  std::string socket;  // Socket::identity()
  std::string address;
  uint16_t port = 0;
  std::string message;  // "bind: Cannot assign requested address"
};

class DataPlane {
 public:
  explicit DataPlane(Options options);
  ~DataPlane();  // stop()
  DataPlane(const DataPlane&) = delete;
  DataPlane& operator=(const DataPlane&) = delete;

  std::vector<BindError> apply(snapshot::SnapshotPtr snapshot);
  // Every worker calls `hook` (on its own thread, so it must be thread-safe) once per request,
  // after the response ended: the request pipeline's log phase (see pipeline/pipeline.h).
  void setRequestLogHook(std::function<void(const RequestContext&)> hook);
  // Any thread: every worker's counters, copied on its own thread and merged. A worker that does
  // not answer within `wait` (stopped, or stuck) is left out.
  observe::MetricsData metrics(std::chrono::milliseconds wait = std::chrono::seconds(2)) const;
  // Closes every socket and connection and joins the workers. Idempotent.
  void stop();

  const Options& options() const { return options_; }
  // How many TLS contexts were built so far (unchanged certificates are not rebuilt).
  size_t tlsContextBuilds() const { return tls_cache_.builds(); }

 private:
  struct Bound {
    net::SocketRole role;
  };

  // One warning per policy whose global limit has no Redis to go to.
  void warnGlobalLimitsWithoutRedis(const snapshot::Snapshot& snapshot);

  Options options_;
  std::vector<std::unique_ptr<Worker>> workers_;
  tls::ContextCache tls_cache_;
  policies::LocalRateLimiters rate_limiters_;
  policies::GlobalRateLimiters global_rate_limiters_;
  std::unordered_set<std::string> warned_without_redis_;
  tls::UpstreamContextCache upstream_tls_cache_;
  std::unordered_map<std::string, Bound> bound_;  // by Socket::identity()
};

}  // namespace gatehouse::dataplane
