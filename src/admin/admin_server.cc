#include "admin/admin_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "admin/dashboard.h"
#include "admin/process_metrics.h"

namespace gatehouse::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct AdminServer::Impl {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
};

AdminServer::AdminServer(const controller::StatusBoard* board, std::function<void()> before_read)
    : board_(board), before_read_(std::move(before_read)) {}
AdminServer::~AdminServer() { stop(); }

AdminServer::Reply AdminServer::handle(const std::string& method, const std::string& target,
                                       std::string_view accept) const {
  if (method != "GET") return {405, "text/plain", "only GET\n"};
  const std::string path = target.substr(0, target.find('?'));
  if (path == "/healthz") return Reply{200, "text/plain", "ok\n"};  // the process answers: liveness only
  if (path == "/metrics") {  // counters only: no sync with the provider
    const metrics::Format format = metrics::formatFor(accept);
    metrics::Exposition out(format);
    renderProcessMetrics(out);
    for (const auto& source : metrics_) source(out);
    return {200, std::string(metrics::contentType(format)), out.finish()};
  }
  if (path == "/ready" && ready_) return ready_() ? Reply{200, "text/plain", "ready\n"} : Reply{503, "text/plain", "not ready\n"};
  if (!board_) return {404, "text/plain", "not found; try /ready, /healthz, /metrics\n"};
  if (path == "/") return {200, "text/html; charset=utf-8", std::string(kDashboardPage)};
  if (before_read_) before_read_();
  auto json = [](const controller::StatusBoard::Doc& doc) -> Reply {
    if (!doc) return {503, "text/plain", "no configuration yet\n"};
    return {200, "application/json", doc->dump(2) + "\n"};
  };
  if (path == "/ready") return board_->ready() ? Reply{200, "text/plain", "ready\n"} : Reply{503, "text/plain", "not ready\n"};
  if (path == "/status") return json(board_->objects());
  if (path == "/config") return json(board_->config());
  if (path == "/infrastructure") return json(board_->infrastructure());
  if (path == "/errors") return json(board_->errors());
  return {404, "text/plain", "not found; try /, /status, /ready, /healthz, /config, /infrastructure, /errors, /metrics\n"};
}

namespace {

void serveConnection(const AdminServer* server, tcp::socket socket) {
  beast::error_code ec;
  beast::flat_buffer buffer;
  // Served one at a time, so a silent client must not hold the admin API: 5 s read timeout,
  // one request per connection.
  timeval timeout{5, 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  {
    http::request<http::string_body> req;
    http::read(socket, buffer, req, ec);
    if (ec) return;
    auto reply = server->handle(std::string(req.method_string()), std::string(req.target()), req[http::field::accept]);
    http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
    res.set(http::field::content_type, reply.content_type);
    res.keep_alive(false);
    res.body() = std::move(reply.body);
    res.prepare_payload();
    http::write(socket, res, ec);
    socket.shutdown(tcp::socket::shutdown_send, ec);
  }
}

}  // namespace

Result<bool> AdminServer::start(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return Error{"--admin-address " + address + ": expected HOST:PORT"};
  impl_ = std::make_unique<Impl>();
  boost::system::error_code ec;
  std::string host = address.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  auto ip = asio::ip::make_address(host, ec);
  if (ec) return Error{"--admin-address " + address + ": " + ec.message()};
  tcp::endpoint ep(ip, static_cast<unsigned short>(std::stoi(address.substr(colon + 1))));
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error{"admin API on " + address + ": " + ec.message()};
  port_ = impl_->acceptor.local_endpoint().port();
  thread_ = std::thread([this] {
    // One connection at a time is plenty for an admin API; each is served to completion.
    for (;;) {
      boost::system::error_code aec;
      tcp::socket socket(impl_->io);
      impl_->acceptor.accept(socket, aec);
      if (aec) return;
      serveConnection(this, std::move(socket));
    }
  });
  return true;
}

void AdminServer::stop() {
  if (impl_) {
    // shutdown() wakes the thread blocked in accept(); close() alone would not.
    ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    impl_.reset();
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace gatehouse::admin
