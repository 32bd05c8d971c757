#include "providers/kube/api_client.h"

#include <chrono>
#include <deque>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>
#include <openssl/x509v3.h>

namespace gatehouse::providers::kube {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kRequestTimeout = std::chrono::seconds(30);
// Watches ask the server to end them well before this (timeoutSeconds); a stream silent for
// longer is a dead connection.
constexpr auto kStreamIdleTimeout = std::chrono::minutes(11);
constexpr size_t kIdleConnections = 4;
constexpr uint64_t kMaxResponseBody = 256ull << 20;

struct Connection {
  explicit Connection(asio::io_context& io, ssl::context& tls) : stream(io, tls) {}
  beast::ssl_stream<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

std::string sslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

}  // namespace

std::string ApiResponse::describe() const {
  auto status_object = nlohmann::json::parse(body, nullptr, false);
  std::string message = status_object.is_object() && status_object.contains("message") && status_object["message"].is_string()
                            ? status_object["message"].get<std::string>()
                            : body.substr(0, 200);
  return "HTTP " + std::to_string(status) + (message.empty() ? "" : ": " + message);
}

struct ApiClient::Impl {
  Impl(asio::io_context& io, const ApiCredentials& credentials)
      : io(io), credentials(credentials), token(credentials), tls(ssl::context::tls_client) {}

  asio::io_context& io;
  ApiCredentials credentials;
  BearerToken token;
  ssl::context tls;
  std::deque<std::unique_ptr<Connection>> idle;

  asio::awaitable<Result<std::unique_ptr<Connection>>> connect() {
    beast::error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = co_await resolver.async_resolve(credentials.host, credentials.port,
                                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Error{"resolve " + credentials.host + ": " + ec.message()};
    auto conn = std::make_unique<Connection>(io, tls);
    auto& tcp_stream = beast::get_lowest_layer(conn->stream);
    tcp_stream.expires_after(kRequestTimeout);
    co_await tcp_stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Error{"connect to " + credentials.server + ": " + ec.message()};
    SSL* ssl = conn->stream.native_handle();
    beast::error_code parse_ec;
    asio::ip::make_address(credentials.host, parse_ec);
    if (parse_ec) {  // a name: SNI, and the certificate must carry it
      SSL_set_tlsext_host_name(ssl, credentials.host.c_str());
      SSL_set1_host(ssl, credentials.host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), credentials.host.c_str());
    }
    co_await conn->stream.async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      long verify = SSL_get_verify_result(ssl);
      std::string why = verify != X509_V_OK ? std::string("certificate not trusted: ") + X509_verify_cert_error_string(verify)
                                            : ec.message();
      co_return Error{"TLS handshake with " + credentials.server + ": " + why};
    }
    co_return conn;
  }

  http::request<http::string_body> makeRequest(std::string_view method, const std::string& target, std::string body,
                                               std::string_view content_type) {
    http::request<http::string_body> req{http::string_to_verb(method), credentials.path_prefix + target, 11};
    req.set(http::field::host, credentials.host);
    req.set(http::field::user_agent, "gatehouse");
    req.set(http::field::accept, "application/json");
    if (auto bearer = token.current(); !bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
    if (!content_type.empty()) req.set(http::field::content_type, content_type);
    req.body() = std::move(body);
    req.prepare_payload();
    return req;
  }
};

ApiClient::ApiClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApiClient::~ApiClient() = default;

const std::string& ApiClient::server() const { return impl_->credentials.server; }

Result<std::unique_ptr<ApiClient>> ApiClient::create(asio::io_context& io, const ApiCredentials& credentials) {
  auto impl = std::make_unique<Impl>(io, credentials);
  auto& tls = impl->tls;
  SSL_CTX* ctx = tls.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  tls.set_verify_mode(ssl::verify_peer);
  beast::error_code ec;
  if (credentials.ca_pem.empty()) {
    tls.set_default_verify_paths(ec);
    if (ec) return Error{credentials.origin + ": no CA given and the system trust store is unreadable: " + ec.message()};
  } else {
    tls.add_certificate_authority(asio::buffer(credentials.ca_pem), ec);
    if (ec) return Error{credentials.origin + ": certificate authority: " + ec.message() + " " + sslErrors()};
  }
  if (!credentials.client_cert_pem.empty()) {
    tls.use_certificate_chain(asio::buffer(credentials.client_cert_pem), ec);
    if (ec) return Error{credentials.origin + ": client certificate: " + ec.message() + " " + sslErrors()};
    tls.use_private_key(asio::buffer(credentials.client_key_pem), ssl::context::pem, ec);
    if (ec) return Error{credentials.origin + ": client key: " + ec.message() + " " + sslErrors()};
  }
  return std::unique_ptr<ApiClient>(new ApiClient(std::move(impl)));
}

asio::awaitable<Result<ApiResponse>> ApiClient::request(std::string_view method, std::string target, std::string body,
                                                        std::string_view content_type) {
  auto req = impl_->makeRequest(method, target, std::move(body), content_type);
  // A kept-alive connection the server closed meanwhile fails on first use: one retry on a new one.
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> conn;
    bool reused = !impl_->idle.empty();
    if (reused) {
      conn = std::move(impl_->idle.front());
      impl_->idle.pop_front();
    } else {
      auto connected = co_await impl_->connect();
      if (!connected) co_return connected.error();
      conn = std::move(*connected);
    }
    beast::error_code ec;
    beast::get_lowest_layer(conn->stream).expires_after(kRequestTimeout);
    co_await http::async_write(conn->stream, req, asio::redirect_error(asio::use_awaitable, ec));
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBody);
    if (!ec) co_await http::async_read(conn->stream, conn->buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (reused && attempt == 0) continue;
      co_return Error{std::string(method) + " " + target + ": " + ec.message()};
    }
    ApiResponse out{parser.get().result_int(), std::move(parser.get().body())};
    if (parser.keep_alive() && impl_->idle.size() < kIdleConnections) impl_->idle.push_back(std::move(conn));
    co_return out;
  }
}

asio::awaitable<Result<ApiResponse>> ApiClient::stream(std::string target,
                                                       std::function<void(std::vector<std::string>& lines)> on_lines) {
  auto connected = co_await impl_->connect();
  if (!connected) co_return connected.error();
  auto conn = std::move(*connected);
  auto req = impl_->makeRequest("GET", target, {}, {});
  beast::error_code ec;
  auto& tcp_stream = beast::get_lowest_layer(conn->stream);
  tcp_stream.expires_after(kRequestTimeout);
  co_await http::async_write(conn->stream, req, asio::redirect_error(asio::use_awaitable, ec));
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  if (!ec) co_await http::async_read_header(conn->stream, conn->buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Error{"GET " + target + ": " + ec.message()};
  const unsigned status = parser.get().result_int();
  if (status != 200) {
    parser.body_limit(kMaxResponseBody);
    co_await http::async_read(conn->stream, conn->buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    co_return ApiResponse{status, std::move(parser.get().body())};
  }
  std::vector<std::string> lines;
  // The parser appends to body(); complete lines are cut off its front as they arrive.
  while (!parser.is_done()) {
    tcp_stream.expires_after(kStreamIdleTimeout);
    co_await http::async_read_some(conn->stream, conn->buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    std::string& body = parser.get().body();
    size_t start = 0;
    for (size_t nl; (nl = body.find('\n', start)) != std::string::npos; start = nl + 1)
      if (nl > start) lines.emplace_back(body, start, nl - start);
    body.erase(0, start);
    if (!lines.empty()) {
      on_lines(lines);
      lines.clear();
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == ssl::error::stream_truncated) break;
    if (ec) co_return Error{"watch " + target + ": " + ec.message()};
  }
  co_return ApiResponse{200, {}};
}

}  // namespace gatehouse::providers::kube
