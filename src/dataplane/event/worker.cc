#include "dataplane/event/worker.h"

#include <boost/asio/post.hpp>
#include <pthread.h>

#include <random>

#include "dataplane/filters/mirror.h"
#include "dataplane/l4/udp_proxy.h"
#include "dataplane/net/acceptor.h"
#include "dataplane/observe/access_log.h"
#include "dataplane/observe/span_exporter.h"
#include "dataplane/pipeline/request_context.h"
#include "dataplane/policies/redis/redis_client.h"
#include "dataplane/upstream/h2c_client.h"
#include <string>

namespace gatehouse::dataplane {
namespace {
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Off process-wide (the flag), or for the listener's Gateway (its GatehouseParameters).
bool requestMetricsOn(const Options& options, const RequestContext& ctx) {
  return options.request_metrics && (ctx.listener == nullptr || ctx.listener->metrics.requests);
}
}  // namespace

Worker::Worker(unsigned index, const Options& options)
    : index_(index),
      options_(options),
      metrics_(std::make_unique<observe::RequestMetrics>(options.metrics_per_route_labels)),
      // One thread runs it, and other threads only post() to it: the scheduler keeps its lock,
      // the reactor's per-socket locks go (~4 % of the instructions of a proxied request).
      io_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),
      work_(io_.get_executor()),
      upstreams_(std::make_unique<upstream::Pool>(io_, options.limits, options.timeouts)),
      h2c_(std::make_unique<upstream::H2cClients>(*this)),
      mirrors_(std::make_unique<filters::Mirrors>(*this)),
      idle_(std::make_unique<IdleList>(io_)) {
  std::random_device seed;
  for (uint64_t& word : rng_) word = (uint64_t{seed()} << 32) ^ seed() ^ (index + 1);
  if (options.access_log.writer) access_log_ = std::make_unique<observe::AccessLogBuffer>(io_, options.access_log, random());
  if (options.traces) spans_ = std::make_unique<observe::SpanBuffer>(io_, options.traces);
  if (!options.rate_limit_redis.host.empty())
    redis_ = std::make_shared<redis::RedisClient>(io_, options.rate_limit_redis);
}

Worker::~Worker() {
  stop();
  acceptors_.clear();
  for (auto& [identity, proxy] : udp_proxies_) proxy->close();
  udp_proxies_.clear();
  spare_buffers_.clear();
  // Connections and pooled sockets must go while io_ is alive: destroy the pool first, then
  // io_'s destructor destroys the suspended coroutines of connections.
  access_log_.reset();  // its last lines go to the writer
  spans_.reset();       // its last spans go to the exporter
  mirrors_.reset();
  h2c_.reset();
  redis_.reset();
  upstreams_.reset();
  idle_.reset();
}

void Worker::observe(const RequestContext& ctx) {
  if (requestMetricsOn(options_, ctx)) metrics_->observe(ctx, Clock::now());
  if (access_log_) access_log_->append(ctx);
  if (ctx.trace.sampled) spans_->append(ctx);
}

void Worker::observeAttempt(const RequestContext& ctx, uint16_t status, const std::optional<ProxyError>& error) {
  if (requestMetricsOn(options_, ctx)) metrics_->observeAttempt(ctx, status, error, Clock::now());
}

void Worker::start() {
  thread_ = std::thread([this] {
    std::string name = "gh-worker-" + std::to_string(index_);
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    io_.run();
  });
}

void Worker::stop() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void Worker::setGeneration(GenerationPtr generation) {
  size_t clusters = generation && generation->snapshot ? generation->snapshot->clusters.size() : 0;
  round_robin_.assign(clusters, 0);
  generation_ = std::move(generation);
  metrics_->setGeneration(generation_.get());
  if (!generation_) return;
  for (auto& [identity, acceptor] : acceptors_) acceptor->configChanged(*generation_);
}

namespace {
// Enough for every connection of a busy worker to be active at once without malloc; beyond it
// buffers are freed. Saves a 16 KiB malloc/free pair per keep-alive request.
constexpr size_t kMaxSpareBuffers = 256;
}  // namespace

std::unique_ptr<char[]> Worker::takeBuffer() {
  if (spare_buffers_.empty()) return std::unique_ptr<char[]>(new char[options_.limits.read_buffer_bytes]);
  auto buffer = std::move(spare_buffers_.back());
  spare_buffers_.pop_back();
  return buffer;
}

void Worker::giveBuffer(std::unique_ptr<char[]> buffer) {
  if (buffer && spare_buffers_.size() < kMaxSpareBuffers) spare_buffers_.push_back(std::move(buffer));
}

void Worker::addAcceptor(const std::string& identity, net::SocketRole role, uint16_t port, net::ListenFd fd) {
  if (role.transport == snapshot::Transport::Udp) {
    auto proxy = std::make_shared<UdpProxy>(*this, fd, identity);
    if (auto old = udp_proxies_.find(identity); old != udp_proxies_.end()) old->second->close();
    udp_proxies_[identity] = proxy;
    proxy->start();
    return;
  }
  auto acceptor = std::make_shared<net::Acceptor>(*this, fd, identity, role, port);
  if (auto old = acceptors_.find(identity); old != acceptors_.end()) old->second->close(acceptor);
  acceptors_[identity] = acceptor;
  acceptor->start();
}

void Worker::closeAcceptor(const std::string& identity) {
  if (auto udp = udp_proxies_.find(identity); udp != udp_proxies_.end()) {
    udp->second->close();
    udp_proxies_.erase(udp);
    return;
  }
  auto it = acceptors_.find(identity);
  if (it == acceptors_.end()) return;
  it->second->close();
  acceptors_.erase(it);
}

uint64_t Worker::random() {
  const uint64_t result = rotl(rng_[1] * 5, 7) * 9;
  const uint64_t t = rng_[1] << 17;
  rng_[2] ^= rng_[0];
  rng_[3] ^= rng_[1];
  rng_[1] ^= rng_[2];
  rng_[0] ^= rng_[3];
  rng_[2] ^= t;
  rng_[3] = rotl(rng_[3], 45);
  return result;
}

size_t Worker::nextEndpoint(uint32_t cluster, size_t endpoints) {
  if (endpoints <= 1) return 0;
  if (cluster >= round_robin_.size()) return static_cast<size_t>(random() % endpoints);
  return round_robin_[cluster]++ % endpoints;
}

}  // namespace gatehouse::dataplane
