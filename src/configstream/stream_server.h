#pragma once
// The controller's end of the config stream: data planes connect over TLS, say which Gateway
// they serve and prove who they are (Hello with a service-account token, judged by the
// Authenticator), then receive that Gateway's compiled snapshot (snapshot::forGateway) each time
// it changes, and acknowledge each revision they applied. A Gateway with a connected data plane
// that applied a config is "live" (what Programmed=True waits for); a later revision in flight
// does not take that back, or every route change would flap the Gateway's Programmed condition.
// docs/design/config-stream.md.
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "common/result.h"
#include "configstream/frame.h"
#include "snapshot/snapshot.h"

namespace gatehouse::configstream {

struct ServerOptions {
  std::string address;  // HOST:PORT to listen on (port 0: any free one)
  std::string cert_file, key_file;  // PEM: the server certificate (chain) and its key
  std::chrono::milliseconds ping_interval{std::chrono::seconds(10)};
};

class StreamServer {
 public:
  // Called with an empty string to admit, else with the reason to refuse. From any thread.
  using Admit = std::function<void(std::string refusal)>;
  // Judges a Hello: may the holder of hello.token receive hello.gateway's config? May answer
  // later, from another thread (a TokenReview is a round trip to the API server).
  using Authenticator = std::function<void(const Hello& hello, Admit admit)>;
  // The live Gateways ("ns/name"), on each change.
  // Called on the server's thread.
  using LiveListener = std::function<void(const std::set<std::string>& live)>;

  // Listens at once (an error names the address or the certificate at fault) and serves on a
  // thread of its own.
  static Result<std::unique_ptr<StreamServer>> start(ServerOptions options, Authenticator authenticate,
                                                     LiveListener on_live);
  ~StreamServer();  // stop()
  StreamServer(const StreamServer&) = delete;
  StreamServer& operator=(const StreamServer&) = delete;

  // The config as of `revision`; every connected data plane whose part changed gets it (the newest
  // only, when publications come faster than they are sent). Thread-safe.
  void publish(snapshot::SnapshotPtr snapshot, uint64_t revision);
  // Closes every data plane's connection (they reconnect): on losing leadership, so that they
  // find the new leader, whose acks are the ones that count. Thread-safe.
  void disconnectAll();
  uint16_t port() const;
  void stop();

  struct Impl;

 private:
  explicit StreamServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse::configstream
