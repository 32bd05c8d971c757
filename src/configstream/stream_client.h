#pragma once
// The data plane's end of the config stream: connects to the controller over TLS (the
// controller's certificate verified against a CA the data plane was given), sends a Hello with
// its Gateway and its service-account token (re-read from the file on each connection: kubelet
// rotates projected tokens), applies each config received and acknowledges it. Whatever goes
// wrong (controller away, refused, a config that does not decode) the last applied config keeps
// serving; the client reconnects with backoff. docs/design/config-stream.md.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "snapshot/snapshot.h"

namespace gatehouse::configstream {

struct ClientOptions {
  std::string controller;  // HOST:PORT; the certificate must name HOST (a DNS name or an IP)
  std::string gateway;     // "namespace/name"
  std::string token_file;
  std::string ca_pem;  // trusted for the controller's certificate
  // Silence for this long (the controller pings every 10 s) means the connection is dead.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};
};

class StreamClient {
 public:
  // Makes `snapshot` live; returns why it could not (empty: live). Called on the client's thread.
  using Apply = std::function<std::string(snapshot::SnapshotPtr snapshot, uint64_t revision)>;

  // Checks the options (CA, address) at once; connects on a thread of its own.
  static Result<std::unique_ptr<StreamClient>> start(ClientOptions options, Apply apply);
  ~StreamClient();  // stop()
  StreamClient(const StreamClient&) = delete;
  StreamClient& operator=(const StreamClient&) = delete;

  // True once a config was applied (ever): what /ready of a data plane reports.
  bool applied() const;
  void stop();

  struct Impl;

 private:
  explicit StreamClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse::configstream
