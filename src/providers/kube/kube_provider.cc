#include "providers/kube/kube_provider.h"

#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "common/log.h"
#include "providers/kube/token_review.h"

namespace gatehouse::providers::kube {

namespace asio = boost::asio;

KubeProvider::KubeProvider(KubeOptions options) : options_(std::move(options)) {}

KubeProvider::~KubeProvider() { stop(); }

Result<bool> KubeProvider::start(UpdateSink* sink) {
  auto credentials = findCredentials(options_.kubeconfig);
  if (!credentials) return Error{"kubernetes: " + credentials.error().message};
  auto client = ApiClient::create(io_, *credentials);
  if (!client) return client.error();
  client_ = std::move(*client);
  sink_ = sink;
  discovery_ = std::make_unique<Discovery>(*client_);
  if (options_.read_only) {
    startReflectors();
    spdlog::info("kubernetes: API server {} ({}), read only", credentials->server, credentials->origin);
    thread_ = std::thread([this] { io_.run(); });
    return true;
  }
  writer_ = std::make_unique<StatusWriter>(
      io_, *client_, cache_, [this](const std::string& kind) { return served(kind); }, options_.controller_name);
  writer_->setSource(status_source_);
  if (options_.lease.identity.empty()) options_.lease.identity = defaultIdentity();
  events_ = std::make_unique<EventRecorder>(io_, *client_, cache_, options_.controller_name, options_.lease.identity);
  if (options_.provisioner) provisioner_ = std::make_unique<Provisioner>(io_, *client_, cache_, *options_.provisioner);
  elector_ = std::make_unique<LeaderElector>(*client_, options_.lease, [this](bool leading) {
    leading_ = leading;
    writer_->setLeader(leading);
    events_->setLeader(leading);
    if (provisioner_) provisioner_->setLeader(leading);
  });

  startReflectors();
  if (provisioner_) {
    auto& reflector = reflectors_.emplace_back(std::make_unique<Reflector>(
        *client_, *discovery_, provisioned_cache_, provisionedServices(), [this](std::vector<store::SourceUpdate> updates) {
          if (data_plane_addresses_.update(updates) && address_sink_) address_sink_(data_plane_addresses_.byGateway());
          provisioner_->setProvisioned(data_plane_addresses_.services());
        }));
    asio::co_spawn(io_, reflector->run({}), asio::detached);
  }
  asio::co_spawn(io_, writer_->run(), asio::detached);
  asio::co_spawn(io_, events_->run(), asio::detached);
  asio::co_spawn(io_, elector_->run(), asio::detached);
  if (provisioner_) asio::co_spawn(io_, provisioner_->run(), asio::detached);
  spdlog::info("kubernetes: API server {} ({}); Lease {}/{} as {}", credentials->server, credentials->origin,
               options_.lease.ns, options_.lease.name, options_.lease.identity);
  thread_ = std::thread([this] { io_.run(); });
  return true;
}

void KubeProvider::startReflectors() {
  const auto& kinds = watchedKinds();
  unlisted_ = kinds.size();
  for (const auto& kind : kinds) {
    auto& reflector = reflectors_.emplace_back(std::make_unique<Reflector>(
        *client_, *discovery_, cache_, kind, [this](std::vector<store::SourceUpdate> updates) { deliver(std::move(updates)); }));
    asio::co_spawn(io_, reflector->run([this] { listed(); }), asio::detached);
  }
}

void KubeProvider::stop() {
  if (!thread_.joinable()) return;
  if (!elector_) {  // read only: no Lease to hand over
    io_.stop();
    thread_.join();
    return;
  }
  // Hand the lease over at once rather than after it expires; don't wait long for a server that is away.
  std::promise<void> released;
  auto done = released.get_future();
  asio::co_spawn(io_, elector_->release(), [&released](std::exception_ptr) { released.set_value(); });
  done.wait_for(std::chrono::seconds(2));
  io_.stop();
  thread_.join();
}

void KubeProvider::reviewToken(std::string token, std::string audience, std::function<void(Result<std::string>)> done) {
  auto review = [this, token = std::move(token), audience = std::move(audience),
                 done = std::move(done)]() mutable -> asio::awaitable<void> {
    auto user = co_await kube::reviewToken(*client_, std::move(token), std::move(audience));
    done(std::move(user));
  };
  asio::co_spawn(io_, std::move(review), asio::detached);
}

void KubeProvider::deliver(std::vector<store::SourceUpdate> updates) {
  // Until every kind is listed, a translation would see a partial world (routes without their
  // Gateway) and publish statuses that are wrong: store only.
  if (synced_)
    sink_->update(std::move(updates));
  else
    sink_->load(std::move(updates));
}

void KubeProvider::listed() {
  if (--unlisted_ > 0 || synced_) return;
  synced_ = true;
  spdlog::info("kubernetes: first listing complete");
  sink_->update({});
}

const ServedKind* KubeProvider::served(const std::string& kind) const {
  for (const auto& reflector : reflectors_)
    if (reflector->served() && reflector->served()->kind->kind == kind) return &*reflector->served();
  return nullptr;
}

}  // namespace gatehouse::providers::kube
