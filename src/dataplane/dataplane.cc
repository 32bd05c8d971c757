#include "dataplane/dataplane.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <unordered_set>

#include "dataplane/event/worker.h"
#include "dataplane/filters/mirror.h"
#include "dataplane/generation.h"
#include "dataplane/net/acceptor.h"
#include "dataplane/net/listen_socket.h"
#include "dataplane/policies/redis/redis_client.h"
#include "dataplane/upstream_tls_contexts.h"

namespace gatehouse::dataplane {

DataPlane::DataPlane(Options options) : options_(std::move(options)) {
  if (options_.workers == 0) options_.workers = 1;
  workers_.reserve(options_.workers);
  for (unsigned i = 0; i < options_.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, options_));
    workers_.back()->start();
  }
}

DataPlane::~DataPlane() { stop(); }

void DataPlane::setRequestLogHook(std::function<void(const RequestContext&)> hook) {
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    w->post([w, hook] { w->setRequestLogHook(hook); });
  }
}

observe::MetricsData DataPlane::metrics(std::chrono::milliseconds wait) const {
  struct Gathered {
    std::mutex mu;
    std::condition_variable done;
    size_t left = 0;
    observe::MetricsData merged;
  };
  auto gathered = std::make_shared<Gathered>();
  gathered->left = workers_.size();
  for (const auto& worker : workers_) {
    Worker* w = worker.get();
    w->post([w, gathered] {
      observe::MetricsData copy = w->metrics().copy(w->generation().get());
      copy.mirrors = w->mirrors().stats();
      if (w->redis() != nullptr) copy.redis_calls = w->redis()->counts();
      std::lock_guard lock(gathered->mu);
      gathered->merged.merge(copy);
      --gathered->left;
      gathered->done.notify_all();
    });
  }
  std::unique_lock lock(gathered->mu);
  gathered->done.wait_for(lock, wait, [&] { return gathered->left == 0; });
  // Process-wide, not per worker: read once.
  for (const auto& limiter : rate_limiters_.current())
    gathered->merged.rate_limits.push_back(
        {limiter->config().policy, limiter->config().target, limiter->allowed(), limiter->limited()});
  for (const auto& limiter : global_rate_limiters_.current()) {
    const auto counts = limiter->counts();
    gathered->merged.global_rate_limits.push_back({limiter->config().policy, limiter->config().target, counts.allowed,
                                                   counts.limited, counts.failed_open, counts.failed_closed});
  }
  return gathered->merged;
}

void DataPlane::warnGlobalLimitsWithoutRedis(const snapshot::Snapshot& snapshot) {
  if (!options_.rate_limit_redis.host.empty()) return;
  for (const snapshot::GlobalRateLimit& limit : snapshot.global_rate_limits) {
    if (!warned_without_redis_.insert(limit.policy).second) continue;
    spdlog::warn("RateLimitPolicy {} has a global limit but no Redis is configured (--rate-limit-redis, "
                 "GatehouseParameters spec.rateLimit.redis): its failureMode {} {} every request",
                 limit.policy, limit.fail_closed ? "Closed" : "Open", limit.fail_closed ? "refuses (503)" : "lets through");
  }
}

void DataPlane::stop() {
  for (auto& worker : workers_) worker->stop();
  workers_.clear();
  bound_.clear();
}

std::vector<BindError> DataPlane::apply(snapshot::SnapshotPtr snapshot) {
  std::vector<BindError> errors;
  if (workers_.empty()) return errors;
  if (!snapshot) snapshot = std::make_shared<const snapshot::Snapshot>();

  auto generation = std::make_shared<Generation>();
  generation->snapshot = snapshot;
  generation->local_rate_limiters = rate_limiters_.resolve(*snapshot);
  generation->global_rate_limiters = global_rate_limiters_.resolve(*snapshot);
  warnGlobalLimitsWithoutRedis(*snapshot);
  upstream_tls_cache_.prune();
  buildUpstreamTls(*generation, upstream_tls_cache_);
  struct ToBind {
    const snapshot::Socket* socket;
    net::SocketRole role;
    std::vector<net::ListenFd> fds;
  };
  std::vector<ToBind> to_bind;
  std::unordered_set<std::string> wanted;

  for (const snapshot::Socket& socket : snapshot->sockets) {
    const std::string identity = socket.identity();
    SocketConfig config{&socket, nullptr};
    const net::SocketRole role{socket.transport, socket.kind};
    const bool udp = role.transport == snapshot::Transport::Udp;
    if (udp ? role.kind != snapshot::ListenerKind::UdpProxy : net::connectionHandlerFor(role.kind) == nullptr) {
      errors.push_back(BindError{identity, socket.address, socket.port, "listener kind not served by this data plane"});
      continue;
    }
    if (role.transport == snapshot::Transport::Tls || role.kind == snapshot::ListenerKind::SniDispatch) {
      std::vector<std::string> problems;
      auto tls = tls::SocketTls::build(socket, tls_cache_, &problems);
      for (const std::string& problem : problems) spdlog::warn("socket {}: {}", identity, problem);
      if (!tls) {
        errors.push_back(BindError{identity, socket.address, socket.port, tls.error().message});
        continue;
      }
      config.tls = tls.value();
    }
    generation->sockets.emplace(identity, config);
    wanted.insert(identity);

    auto bound = bound_.find(identity);
    if (bound != bound_.end() && bound->second.role == role) continue;  // kept as is

    // New (or its role changed: a new acceptor replaces the old one on the same port).
    ToBind bind{&socket, role, {}};
    for (size_t i = 0; i < workers_.size(); ++i) {
      auto fd = udp ? net::bindUdpSocket(socket.address, socket.port)
                    : net::bindListenSocket(socket.address, socket.port, options_.limits.listen_backlog);
      if (!fd) {
        for (const net::ListenFd& opened : bind.fds) ::close(opened.fd);
        bind.fds.clear();
        errors.push_back(BindError{identity, socket.address, socket.port, fd.error().message});
        break;
      }
      bind.fds.push_back(fd.value());
    }
    if (bind.fds.empty()) {
      generation->sockets.erase(identity);
      wanted.erase(identity);
      continue;
    }
    to_bind.push_back(std::move(bind));
  }

  // The generation first: a worker's new TLS acceptor reads its certificates from it.
  GenerationPtr published = generation;
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    w->post([w, published] { w->setGeneration(published); });
  }
  for (ToBind& bind : to_bind) {
    const std::string identity = bind.socket->identity();
    for (size_t i = 0; i < workers_.size(); ++i) {
      Worker* w = workers_[i].get();
      w->post([w, identity, role = bind.role, port = bind.socket->port, fd = bind.fds[i]] {
        w->addAcceptor(identity, role, port, fd);
      });
    }
    bound_[identity] = Bound{bind.role};
  }
  for (auto it = bound_.begin(); it != bound_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    for (auto& worker : workers_) {
      Worker* w = worker.get();
      w->post([w, identity = it->first] { w->closeAcceptor(identity); });
    }
    it = bound_.erase(it);
  }
  return errors;
}

}  // namespace gatehouse::dataplane
