#pragma once
// An HTTPS client of the Kubernetes API server, on one io_context (coroutines). Requests share
// a few kept-alive connections; each watch streams on a connection of its own. A transport
// failure is an Error; an HTTP error status is a response (the caller decides what a 404, 409
// or 410 means).
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "common/result.h"
#include "providers/kube/kubeconfig.h"

namespace gatehouse::providers::kube {

struct ApiResponse {
  unsigned status = 0;
  std::string body;
  // "HTTP 403: <the Status object's message>" (or the body's start when it is no Status), for logs.
  std::string describe() const;
};

class ApiClient {
 public:
  // Loads the CA and client certificate; fails with a message naming what is wrong with them.
  static Result<std::unique_ptr<ApiClient>> create(boost::asio::io_context& io, const ApiCredentials& credentials);
  ~ApiClient();

  // `target` is the path and query ("/api/v1/namespaces"); the server URL's prefix is added.
  boost::asio::awaitable<Result<ApiResponse>> request(std::string_view method, std::string target,
                                                      std::string body = {}, std::string_view content_type = {});
  // GET `target` and hand every complete line of a 200 response to on_lines as it arrives (watch
  // events may be split across chunks or share one). Returns when the stream ends: the status
  // and, for a non-200, the body.
  boost::asio::awaitable<Result<ApiResponse>> stream(std::string target,
                                                     std::function<void(std::vector<std::string>& lines)> on_lines);

  const std::string& server() const;

 private:
  struct Impl;
  explicit ApiClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse::providers::kube
