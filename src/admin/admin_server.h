#pragma once
// The admin API: GET /status (every Gateway API object with metadata, spec and status, as a
// Kubernetes List), /ready, /config (the compiled snapshot), /infrastructure (emulated
// data-plane objects per Gateway), /errors (configuration errors). Its own thread; never on
// the request path.
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/result.h"
#include "controller/status_board.h"

namespace gatehouse::admin {

class AdminServer {
 public:
  // `before_read` runs before every read (the file provider's sync: read-your-writes).
  AdminServer(const controller::StatusBoard* board, std::function<void()> before_read = {});
  ~AdminServer();

  // Binds HOST:PORT and serves on a thread of its own.
  Result<bool> start(const std::string& address);
  void stop();

  struct Reply {
    unsigned status;
    std::string content_type;
    std::string body;
  };
  Reply handle(const std::string& method, const std::string& target) const;

 private:
  struct Impl;
  const controller::StatusBoard* board_;
  std::function<void()> before_read_;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
};

}  // namespace gatehouse::admin
