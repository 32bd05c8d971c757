#pragma once
// The admin API: GET / (the dashboard page, admin/dashboard.h), /status (every Gateway API object with metadata, spec and status, as a
// Kubernetes List), /ready, /config (the compiled snapshot), /infrastructure (emulated
// data-plane objects per Gateway), /errors (configuration errors), /metrics (Prometheus text, or
// OpenMetrics when the Accept header asks for it). Its own thread; never on
// the request path. Documents come from the board's last publication, never from the control
// loop, so a read does not wait on a translation (docs/design/controller.md).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/metrics/exposition.h"
#include "common/result.h"
#include "controller/status_board.h"

namespace gatehouse::admin {

class AdminServer {
 public:
  // `before_read` runs before every read: the provider's sync(), so a client that wrote a file
  // and then reads sees its write (read-your-writes). Without a board (a data plane of the
  // provisioned topology, which holds no objects) only /healthz, /ready and /metrics are served.
  AdminServer(const controller::StatusBoard* board, std::function<void()> before_read = {});
  ~AdminServer();

  // Adds a source of GET /metrics families (after the process_* ones), in call order. Before
  // start(); each runs on the admin thread at every scrape.
  void addMetrics(std::function<void(metrics::Exposition&)> source) { metrics_.push_back(std::move(source)); }

  // What /ready reports instead of the board's readiness. Before start(); runs on the admin thread.
  void setReadiness(std::function<bool()> ready) { ready_ = std::move(ready); }

  // Binds HOST:PORT (port 0: any free port) and serves on a thread of its own.
  Result<bool> start(const std::string& address);
  uint16_t port() const { return port_; }  // the bound port, once started
  void stop();

  struct Reply {
    unsigned status;
    std::string content_type;
    std::string body;
  };
  Reply handle(const std::string& method, const std::string& target, std::string_view accept = {}) const;

 private:
  struct Impl;
  const controller::StatusBoard* board_;
  std::function<void()> before_read_;
  std::function<bool()> ready_;
  std::vector<std::function<void(metrics::Exposition&)>> metrics_;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  uint16_t port_ = 0;
};

}  // namespace gatehouse::admin
