#pragma once
// HTTPRoute RequestMirror: a copy of the request, as sent to the main backend (after the rule's
// and the backendRef's request filters: same method, path, Host, fields and body), goes to each
// mirror backend; its response is read and dropped. Mirroring never delays or fails the main
// request: copies are sent from their own coroutines on the worker, fire and forget.
//
// - percent / fraction: each mirror is chosen independently with probability
//   numerator/denominator, drawn from the worker's PRNG (Worker::random()).
// - Bounded: at most MirrorLimits::max_in_flight mirror requests per worker; a copy over the cap
//   is dropped and counted (MirrorStats::dropped_over_limit).
// - Time-limited: each copy is abandoned after MirrorLimits::timeout (connect included).
// - Bodies: the copy carries the body only when it is at most MirrorLimits::max_body bytes
//   (decoded); a request with a larger body is not mirrored at all (skipped_body). The copy is
//   sent once the whole body has passed through the proxy, so a small body is never held back
//   from the main backend.
// - The copy is HTTP/1.1 with Content-Length, or HTTP/2 for an h2c mirror backend; the endpoint is
//   chosen round-robin among the mirror cluster's endpoints (none: counted as no_endpoint).
// - A mirror backend with a BackendTLSPolicy gets its copy over TLS like any request (its TLS not
//   usable: no copy; never plaintext), presenting the client certificate of the request's Gateway.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "dataplane/filters/mirror_stats.h"
#include "dataplane/generation.h"
#include "dataplane/http/chunked_decoder.h"
#include "dataplane/http/h1_parser.h"
#include "dataplane/http/message.h"
#include "dataplane/upstream/exchange.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane {
class Worker;
}

namespace gatehouse::filters {

namespace upstream = gatehouse::dataplane::upstream;

struct MirrorLimits {
  size_t max_body = 64 * 1024;
  uint32_t max_in_flight = 256;
  std::chrono::milliseconds timeout{10'000};
};

struct MirrorTarget {
  snapshot::Endpoint endpoint;
  snapshot::UpstreamProtocol protocol = snapshot::UpstreamProtocol::Http1;
  dataplane::tls::UpstreamContextPtr tls = nullptr;  // the mirror cluster's BackendTLSPolicy; null: plaintext
};

class Mirrors;

// Where the request phase collects a request's copies (the rule's mirrors, then the
// backendRef's); the codec sends them once the body is known.
struct MirrorSelection {
  Mirrors& mirrors;
  const dataplane::Generation& generation;
  const snapshot::Listener* listener;  // the request's: its Gateway's client certificate goes to TLS mirrors too
  std::vector<MirrorTarget>& targets;
};

// Per worker: sends copies and keeps the counters.
class Mirrors {
 public:
  explicit Mirrors(dataplane::Worker& worker, MirrorLimits limits = {});
  ~Mirrors();

  // Appends `mirror`'s target to `targets` when the request is chosen for it (by its fraction);
  // endpoints round-robin. `listener`: the one the request came in on.
  void choose(const dataplane::Generation& generation, const snapshot::Listener* listener,
              const snapshot::RequestMirror& mirror, std::vector<MirrorTarget>& targets);
  // Sends `request` to every target (fire and forget).
  void send(std::vector<MirrorTarget> targets, upstream::BufferedRequest request);

  const MirrorStats& stats() const { return state_->stats; }
  void countSkippedBody() { ++state_->stats.skipped_body; }
  const MirrorLimits& limits() const { return limits_; }
  // For tests: `fn` is called (on the worker thread) after every completed or failed copy.
  void onDone(std::function<void()> fn) { state_->on_done = std::move(fn); }

  struct State {
    MirrorStats stats;
    std::function<void()> on_done;
  };

 private:
  dataplane::Worker& worker_;
  MirrorLimits limits_;
  std::shared_ptr<State> state_;  // shared with in-flight copies (they may outlive this object)
};

// One request's pending copies while its body streams through the HTTP/1.1 proxy (to an HTTP/1.1
// or h2c upstream): the body bytes are teed (as relayed, the chunked framing decoded) and the
// copies go once the body ended.
class MirrorTap {
 public:
  // For the `targets` Mirrors::choose() picked; nullptr when there are none (or the body is known
  // to be too large: counted).
  static std::unique_ptr<MirrorTap> begin(Mirrors& mirrors, std::vector<MirrorTarget> targets,
                                          const http::Request& request, http::BodyFraming framing,
                                          uint64_t content_length);

  // Body bytes as relayed (raw chunked framing for chunked requests); `last` when the body ended.
  // Calls after the copies went (or were given up) are ignored.
  void body(std::string_view raw, bool last);

 private:
  MirrorTap(Mirrors& mirrors, std::vector<MirrorTarget> targets, upstream::BufferedRequest request,
            http::BodyFraming framing)
      : mirrors_(mirrors), targets_(std::move(targets)), request_(std::move(request)), framing_(framing) {}
  void giveUp();

  Mirrors& mirrors_;
  std::vector<MirrorTarget> targets_;
  upstream::BufferedRequest request_;
  http::BodyFraming framing_;
  http::ChunkedDecoder decoder_;
  bool finished_ = false;
};

}  // namespace gatehouse::filters
