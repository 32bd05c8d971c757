#pragma once
// Per-request state that travels through the phases of pipeline.h. A codec fills `request`
// (and the facts it alone knows: TLS server name, start time, upgrade), the phases fill the rest. Everything pointed to lives in `generation`, which the context pins from routing
// until the response has ended.
#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "dataplane/filters/mirror.h"
#include "dataplane/generation.h"
#include "dataplane/http/message.h"
#include "dataplane/pipeline/proxy_error.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane {

using Clock = std::chrono::steady_clock;

struct RequestContext {
  // ---- set by the codec ----
  http::Request request;
  Clock::time_point started{};
  std::string_view server_name;  // TLS SNI of the connection; empty for plain listeners
  bool upgrade = false;          // a WebSocket upgrade: not mirrored

  // ---- set by the phases ----
  bool grpc = false;  // a gRPC request: gRPC-shaped local answers, grpc-timeout, HTTP/2 upstream
  GenerationPtr generation;
  const snapshot::Listener* listener = nullptr;
  const snapshot::RouteEntry* entry = nullptr;
  const snapshot::Rule* rule = nullptr;
  const snapshot::WeightedBackend* backend = nullptr;
  const snapshot::Cluster* cluster = nullptr;
  const snapshot::Endpoint* endpoint = nullptr;
  // The rule's request / backendRequest timeout, whichever ends first.
  std::optional<Clock::time_point> deadline;
  std::vector<filters::MirrorTarget> mirrors;  // chosen copies (codec sends them once the body is read)

  // ---- the outcome, for the log hook ----
  uint16_t status = 0;
  std::optional<ProxyError> error;

  // Ready for the next request on the same connection; strings keep their storage.
  void reset() {
    // clear() keeps the storage; a request refused before its head is read must not show the
    // previous one's.
    request.method.clear();
    request.scheme.clear();
    request.authority.clear();
    request.path.clear();
    started = {};
    server_name = {};
    upgrade = false;
    grpc = false;
    generation.reset();
    listener = nullptr;
    entry = nullptr;
    rule = nullptr;
    backend = nullptr;
    cluster = nullptr;
    endpoint = nullptr;
    deadline.reset();
    mirrors.clear();
    status = 0;
    error.reset();
  }
};

}  // namespace gatehouse::dataplane
