#include "dataplane/filters/mirror.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "dataplane/event/worker.h"
#include "dataplane/filters/filters.h"
#include "dataplane/upstream/h2c_client.h"

namespace gatehouse::filters {

namespace asio = boost::asio;
using dataplane::Outcome;
using dataplane::Worker;

namespace {

// Keeps in_flight right however the copy ends (also when the worker's loop is destroyed with the
// coroutine suspended).
struct InFlight {
  std::shared_ptr<Mirrors::State> state;
  explicit InFlight(std::shared_ptr<Mirrors::State> s) : state(std::move(s)) { ++state->stats.in_flight; }
  ~InFlight() { --state->stats.in_flight; }
};

asio::awaitable<void> sendCopy(Worker& worker, std::shared_ptr<Mirrors::State> state, MirrorTarget target,
                               std::shared_ptr<const upstream::BufferedRequest> request,
                               std::chrono::milliseconds timeout) {
  InFlight guard(state);
  upstream::ExchangeOptions options;
  options.deadline = upstream::Clock::now() + timeout;
  options.keep_body = false;
  upstream::BufferedResponse response;
  Outcome outcome;
  if (target.protocol == snapshot::UpstreamProtocol::H2c) {
    outcome = co_await worker.h2c().exchange(target.endpoint, target.tls.get(), *request, response, options);
  } else {
    outcome = co_await upstream::exchangeH1(worker, target.endpoint, target.tls.get(), *request, response, options);
  }
  if (!outcome) {
    ++state->stats.completed;
  } else {
    ++state->stats.failed;
  }
  if (state->on_done) state->on_done();
}

}  // namespace

Mirrors::Mirrors(Worker& worker, MirrorLimits limits)
    : worker_(worker), limits_(limits), state_(std::make_shared<State>()) {}

Mirrors::~Mirrors() = default;

void Mirrors::choose(const dataplane::Generation& generation, const snapshot::Listener* listener,
                     const snapshot::RequestMirror& mirror, std::vector<MirrorTarget>& targets) {
  const snapshot::Cluster* found = generation.snapshot->clusters.get(mirror.cluster);
  if (mirror.numerator == 0 || mirror.denominator == 0 || found == nullptr) return;
  if (mirror.numerator < mirror.denominator && worker_.random() % mirror.denominator >= mirror.numerator) return;
  const snapshot::Cluster& cluster = *found;
  dataplane::tls::UpstreamContextPtr tls;
  if (cluster.tls) {
    tls = generation.upstreamTls(mirror.cluster, listener);
    if (!tls) return;
  }
  if (cluster.endpoints.empty()) {
    ++state_->stats.no_endpoint;
    return;
  }
  const size_t index = worker_.nextEndpoint(mirror.cluster, cluster.endpoints.size());
  targets.push_back(MirrorTarget{cluster.endpoints[index], cluster.protocol, std::move(tls)});
}

void applyRequest(const snapshot::RequestMirror& mirror, RequestFilterContext& context) {
  if (context.mirrors == nullptr) return;
  MirrorSelection& selection = *context.mirrors;
  selection.mirrors.choose(selection.generation, selection.listener, mirror, selection.targets);
}

void Mirrors::send(std::vector<MirrorTarget> targets, upstream::BufferedRequest request) {
  if (targets.empty()) return;
  auto shared = std::make_shared<const upstream::BufferedRequest>(std::move(request));
  for (MirrorTarget& target : targets) {
    if (state_->stats.in_flight >= limits_.max_in_flight) {
      ++state_->stats.dropped_over_limit;
      continue;
    }
    ++state_->stats.sent;
    asio::co_spawn(worker_.io(), sendCopy(worker_, state_, std::move(target), shared, limits_.timeout), asio::detached);
  }
}

// ---- MirrorTap ----------------------------------------------------------------------------------

std::unique_ptr<MirrorTap> MirrorTap::begin(Mirrors& mirrors, std::vector<MirrorTarget> targets,
                                            const http::Request& request, http::BodyFraming framing,
                                            uint64_t content_length) {
  if (targets.empty()) return nullptr;
  if (framing == http::BodyFraming::ContentLength && content_length > mirrors.limits().max_body) {
    mirrors.countSkippedBody();
    return nullptr;
  }
  upstream::BufferedRequest copy;
  copy.method = request.method;
  copy.authority = request.authority;
  copy.path = request.path;
  copy.headers = request.headers;
  copy.has_body = framing != http::BodyFraming::None;
  if (framing == http::BodyFraming::ContentLength) copy.body.reserve(static_cast<size_t>(content_length));
  return std::unique_ptr<MirrorTap>(new MirrorTap(mirrors, std::move(targets), std::move(copy), framing));
}

void MirrorTap::giveUp() {
  finished_ = true;
  mirrors_.countSkippedBody();
  request_ = upstream::BufferedRequest{};
}

void MirrorTap::body(std::string_view raw, bool last) {
  if (finished_) return;
  if (framing_ == http::BodyFraming::Chunked) {
    while (!raw.empty() && !decoder_.done()) {
      http::ChunkedResult r = decoder_.decode(raw);
      if (r.error()) {
        giveUp();
        return;
      }
      request_.body.append(r.data);
      raw.remove_prefix(r.consumed);
      if (r.consumed == 0) break;
    }
  } else {
    request_.body.append(raw);
  }
  if (request_.body.size() > mirrors_.limits().max_body) {
    giveUp();
    return;
  }
  if (last) {
    finished_ = true;
    mirrors_.send(std::move(targets_), std::move(request_));
  }
}

}  // namespace gatehouse::filters
