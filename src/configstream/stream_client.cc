#include "configstream/stream_client.h"

#include <fstream>
#include <sstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <openssl/x509v3.h>

#include "common/backoff.h"
#include "common/log.h"
#include "configstream/frame_io.h"
#include "configstream/host_port.h"
#include "snapshot/codec.h"

namespace gatehouse::configstream {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(10);

Result<std::string> readToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{"cannot read the token file " + path};
  std::stringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) return Error{"the token file " + path + " is empty"};
  return token;
}

}  // namespace

struct StreamClient::Impl {
  ClientOptions options;
  HostPort controller;
  Apply apply;
  asio::io_context io;
  ssl::context tls{ssl::context::tls_client};
  std::thread thread;
  std::atomic<bool> applied{false};

  asio::awaitable<void> run() {
    Backoff backoff;
    for (;;) {
      const std::string why = co_await session(backoff);
      const auto delay = backoff.next();
      spdlog::warn("config stream: {}; serving the last config, reconnecting in {} ms", why, delay.count());
      asio::steady_timer wait(io, delay);
      boost::system::error_code ec;
      co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // One connection, until it fails: returns why.
  asio::awaitable<std::string> session(Backoff& backoff) {
    auto token = readToken(options.token_file);
    if (!token) co_return token.error().message;
    boost::system::error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = co_await resolver.async_resolve(controller.host, std::to_string(controller.port),
                                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return "resolve " + controller.host + ": " + ec.message();
    ssl::stream<tcp::socket> stream(io, tls);
    // One timer bounds connecting and the handshake, then watches for silence.
    asio::steady_timer watchdog(io);
    auto arm = [&watchdog, &stream](std::chrono::milliseconds after) {
      watchdog.expires_after(after);
      watchdog.async_wait([&stream](boost::system::error_code wait_ec) {
        boost::system::error_code ignored;
        if (!wait_ec) stream.lowest_layer().close(ignored);
      });
    };
    arm(kConnectTimeout);
    co_await asio::async_connect(stream.lowest_layer(), endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return "connect to " + options.controller + ": " + ec.message();
    SSL* ssl_handle = stream.native_handle();
    asio::ip::make_address(controller.host, ec);
    if (ec) {  // a name: SNI, and the certificate must carry it
      SSL_set_tlsext_host_name(ssl_handle, controller.host.c_str());
      SSL_set1_host(ssl_handle, controller.host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), controller.host.c_str());
    }
    co_await stream.async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      const long verify = SSL_get_verify_result(ssl_handle);
      co_return "TLS handshake with " + options.controller + ": " +
          (verify != X509_V_OK ? std::string("certificate not trusted: ") + X509_verify_cert_error_string(verify)
                               : ec.message());
    }
    const std::string hello = encodeFrame(FrameType::Hello, encodeHello({kProtocolVersion, options.gateway, *token}));
    if (auto failed = co_await writeFrame(stream, hello); !failed.empty()) co_return "sending Hello: " + failed;
    spdlog::info("config stream: connected to {} for Gateway {}", options.controller, options.gateway);
    for (;;) {
      arm(options.idle_timeout);
      auto frame = co_await readFrame(stream);
      watchdog.cancel();
      if (!frame) co_return "connection to " + options.controller + " lost: " + frame.error().message;
      switch (frame->type) {
        case FrameType::Ping:
          break;
        case FrameType::Refused:
          co_return "the controller refused this data plane: " + frame->payload;
        case FrameType::Config: {
          const std::string ack = encodeFrame(FrameType::Ack, encodeAck(applyConfig(frame->payload)));
          if (auto failed = co_await writeFrame(stream, ack); !failed.empty()) co_return "sending Ack: " + failed;
          backoff.reset();
          break;
        }
        default:
          co_return "the controller sent frame type " + std::to_string(static_cast<int>(frame->type));
      }
    }
  }

  Ack applyConfig(const std::string& payload) {
    auto config = decodeConfig(payload);
    if (!config) return {0, config.error().message};
    auto decoded = snapshot::decode(config->snapshot);
    if (!decoded) {
      spdlog::error("config stream: revision {} not applied: {}", config->revision, decoded.error().message);
      return {config->revision, decoded.error().message};
    }
    std::string failed = apply(std::move(*decoded), config->revision);
    if (failed.empty()) {
      applied = true;
      spdlog::info("config stream: revision {} live ({} bytes)", config->revision, config->snapshot.size());
    }
    return {config->revision, std::move(failed)};
  }
};

StreamClient::StreamClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StreamClient::~StreamClient() { stop(); }

Result<std::unique_ptr<StreamClient>> StreamClient::start(ClientOptions options, Apply apply) {
  auto impl = std::make_unique<Impl>();
  auto controller = parseHostPort(options.controller);
  if (!controller) return Error{"--controller: " + controller.error().message};
  impl->controller = *controller;
  impl->options = std::move(options);
  impl->apply = std::move(apply);
  SSL_CTX_set_min_proto_version(impl->tls.native_handle(), TLS1_2_VERSION);
  impl->tls.set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  impl->tls.add_certificate_authority(asio::buffer(impl->options.ca_pem), ec);
  if (ec) return Error{"controller CA: " + ec.message()};
  Impl* raw = impl.get();
  asio::co_spawn(impl->io, raw->run(), asio::detached);
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<StreamClient>(new StreamClient(std::move(impl)));
}

bool StreamClient::applied() const { return impl_->applied; }

void StreamClient::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->io.stop();
  impl_->thread.join();
}

}  // namespace gatehouse::configstream
