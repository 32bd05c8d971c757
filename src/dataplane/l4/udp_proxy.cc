#include "dataplane/l4/udp_proxy.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "dataplane/event/worker.h"
#include "dataplane/http/router.h"
#include "dataplane/upstream/connector.h"

namespace gatehouse::dataplane {

namespace asio = boost::asio;
using asio::ip::udp;
using boost::system::error_code;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxDatagram = 65536;  // the largest UDP payload (65,507 over IPv4) fits
}  // namespace

UdpProxy::UdpProxy(Worker& worker, net::ListenFd fd, std::string identity)
    : worker_(worker), socket_(worker.io()), identity_(std::move(identity)), sweep_(worker.io()) {
  error_code ec;
  socket_.assign(fd.ipv6 ? udp::v6() : udp::v4(), fd.fd, ec);
  if (ec) {
    ::close(fd.fd);
    spdlog::error("socket {}: cannot register UDP socket: {}", identity_, ec.message());
    closed_ = true;
  }
}

UdpProxy::~UdpProxy() = default;

void UdpProxy::start() {
  if (closed_) return;
  asio::co_spawn(worker_.io(), [self = shared_from_this()] { return self->receiveLoop(); }, asio::detached);
  asio::co_spawn(worker_.io(), [self = shared_from_this()] { return self->sweepLoop(); }, asio::detached);
}

void UdpProxy::close() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  socket_.close(ignored);
  sweep_.cancel();
  for (auto& [client, session] : sessions_) session->upstream.close(ignored);
  sessions_.clear();
}

std::shared_ptr<UdpProxy::Session> UdpProxy::open(const udp::endpoint& client) {
  if (sessions_.size() >= worker_.options().limits.udp_sessions) {
    if (dropped_++ % 1024 == 0)
      spdlog::warn("socket {}: UDP session table full ({} sessions); dropping datagrams of new clients", identity_,
                   sessions_.size());
    return nullptr;
  }
  const GenerationPtr& generation = worker_.generation();
  const SocketConfig* config = generation ? generation->find(identity_) : nullptr;
  if (config == nullptr || config->socket->listeners.empty()) return nullptr;
  const snapshot::RouteTable* table = config->socket->listeners.front().hosts.any.get();
  if (table == nullptr || table->rules.empty()) return nullptr;
  const snapshot::WeightedBackend* backend = http::pickBackend(table->rules.front(), worker_.random());
  if (backend == nullptr || !backend->cluster) return nullptr;
  const snapshot::Cluster* cluster = generation->snapshot->clusters.get(*backend->cluster);
  if (cluster == nullptr || cluster->endpoints.empty()) return nullptr;
  const snapshot::Endpoint& endpoint =
      cluster->endpoints[worker_.nextEndpoint(*backend->cluster, cluster->endpoints.size())];
  const auto address = upstream::socketAddress(endpoint);
  if (!address) return nullptr;
  auto session = std::make_shared<Session>(worker_.io());
  error_code ec;
  session->upstream.connect(udp::endpoint(address->address(), address->port()), ec);
  if (ec) {
    spdlog::debug("socket {}: UDP connect to {}:{}: {}", identity_, endpoint.ip, endpoint.port, ec.message());
    return nullptr;
  }
  session->client = client;
  session->last_activity = Clock::now();
  sessions_.emplace(client, session);
  asio::co_spawn(worker_.io(), [self = shared_from_this(), session] { return self->replyLoop(session); },
                 asio::detached);
  return session;
}

void UdpProxy::end(const std::shared_ptr<Session>& session) {
  error_code ignored;
  session->upstream.close(ignored);
  auto it = sessions_.find(session->client);
  if (it != sessions_.end() && it->second == session) sessions_.erase(it);
}

asio::awaitable<void> UdpProxy::receiveLoop() {
  auto self = shared_from_this();
  std::vector<char> buffer(kMaxDatagram);
  udp::endpoint client;
  while (!closed_) {
    auto [ec, n] = co_await socket_.async_receive_from(asio::buffer(buffer), client, kTuple);
    if (closed_ || ec == asio::error::operation_aborted) break;
    if (ec) continue;  // e.g. ICMP errors reported on the socket: not fatal for a listener
    auto it = sessions_.find(client);
    std::shared_ptr<Session> session = it != sessions_.end() ? it->second : open(client);
    if (!session) continue;
    session->last_activity = Clock::now();
    auto [sec, sent] = co_await session->upstream.async_send(asio::buffer(buffer.data(), n), kTuple);
    if (sec && sec != asio::error::connection_refused) end(session);
  }
}

asio::awaitable<void> UdpProxy::replyLoop(std::shared_ptr<Session> session) {
  auto self = shared_from_this();
  std::vector<char> buffer(kMaxDatagram);
  while (session->upstream.is_open()) {
    auto [ec, n] = co_await session->upstream.async_receive(asio::buffer(buffer), kTuple);
    if (ec == asio::error::connection_refused) continue;  // the endpoint's port is closed (ICMP); it may come back
    if (ec) break;
    session->last_activity = Clock::now();
    co_await socket_.async_send_to(asio::buffer(buffer.data(), n), session->client, kTuple);
  }
  end(session);
}

// Ends idle sessions; runs at a tenth of the idle timeout (at least every 10 ms, at most every 1 s).
asio::awaitable<void> UdpProxy::sweepLoop() {
  auto self = shared_from_this();
  const auto idle = worker_.options().timeouts.udp_idle;
  const auto period = std::clamp<std::chrono::milliseconds>(idle / 10, std::chrono::milliseconds(10),
                                                            std::chrono::milliseconds(1000));
  while (!closed_) {
    sweep_.expires_after(period);
    co_await sweep_.async_wait(kTuple);  // cancelled only by close()
    if (closed_) break;
    const auto now = Clock::now();
    std::vector<std::shared_ptr<Session>> expired;
    for (auto& [client, session] : sessions_)
      if (now - session->last_activity >= idle) expired.push_back(session);
    for (auto& session : expired) end(session);
  }
}

}  // namespace gatehouse::dataplane
