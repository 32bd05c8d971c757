#include "dataplane/upstream/exchange.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "dataplane/event/worker.h"
#include "dataplane/http/chunked_decoder.h"
#include "dataplane/http/connection_fields.h"
#include "dataplane/http/h1_parser.h"
#include "dataplane/upstream/connector.h"

namespace gatehouse::dataplane::upstream {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
}  // namespace

bool isConnectionSpecific(std::string_view name) { return http::isConnectionSpecific(name); }

SocketDeadline::SocketDeadline(asio::io_context& io, tcp::socket& socket, Clock::time_point at)
    : state_(std::make_shared<State>(State{&socket})), timer_(io) {
  if (at == Clock::time_point::max()) return;
  timer_.expires_at(at);
  timer_.async_wait([state = state_](error_code ec) {
    if (ec || state->socket == nullptr) return;
    state->fired = true;
    error_code ignored;
    state->socket->cancel(ignored);
  });
}

SocketDeadline::~SocketDeadline() {
  state_->socket = nullptr;
  timer_.cancel();
}

std::string serializeH1HeadFields(const BufferedRequest& request) {
  // Sized once and filled with memcpy: an append() per piece (ten per request, each with a
  // capacity check, the literals with a strlen) cost ~1.2k instructions per request.
  constexpr std::string_view kVersionAndHost = " HTTP/1.1\r\nHost: ";
  size_t bound = request.method.size() + 1 + request.path.size() + kVersionAndHost.size() + request.authority.size() + 2;
  for (const auto& [name, value] : request.headers.fields()) bound += name.size() + 2 + value.size() + 2;
  std::string out;
  out.reserve(bound + 64);  // room for the framing field and the blank line the caller appends
  out.resize(bound);
  char* p = out.data();
  auto put = [&p](std::string_view piece) {
    std::memcpy(p, piece.data(), piece.size());
    p += piece.size();
  };
  put(request.method);
  put(" ");
  put(request.path);
  put(kVersionAndHost);
  put(request.authority);
  put("\r\n");
  for (const auto& [name, value] : request.headers.fields()) {
    if (isConnectionSpecific(name)) continue;
    put(name);
    put(": ");
    put(value);
    put("\r\n");
  }
  out.resize(static_cast<size_t>(p - out.data()));
  return out;
}

std::string serializeH1Head(const BufferedRequest& request) {
  std::string out = serializeH1HeadFields(request);
  if (request.has_body || !request.body.empty()) {
    out.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  }
  out.append("\r\n");
  return out;
}

namespace {

struct Attempt {
  Outcome outcome;
  bool nothing_received = false;  // failed before any response byte: a retry is safe
  bool reusable = false;
};

asio::awaitable<Attempt> attemptH1(Connection& socket, const std::string& request_head, const BufferedRequest& request,
                                   BufferedResponse& response, const ExchangeOptions& options) {
  Attempt attempt;
  std::array<asio::const_buffer, 2> out{asio::buffer(request_head), asio::buffer(request.body)};
  auto [wec, written] = co_await asio::async_write(socket, out, kTuple);
  if (wec) {
    attempt.outcome = ProxyError::of(ErrorKind::BadResponse);
    attempt.nothing_received = true;
    co_return attempt;
  }
  std::string buffer;
  char chunk[8192];
  auto more = [&]() -> asio::awaitable<bool> {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), kTuple);
    if (ec) co_return false;
    buffer.append(chunk, n);
    co_return true;
  };
  http::HeadLimits limits;
  limits.max_head_bytes = kMaxResponseHead;
  http::ResponseHeadParser parser(request.method, limits);
  http::ParseResult parsed;
  for (;;) {
    parsed = parser.parse(buffer);
    if (parsed.error()) {
      attempt.outcome = ProxyError::of(ErrorKind::BadResponse);
      co_return attempt;
    }
    if (parsed.complete()) {
      if (!parser.head().interim) break;
      buffer.erase(0, parsed.consumed);
      parser.reset(request.method);
      continue;
    }
    if (!co_await more()) {
      attempt.outcome = ProxyError::of(ErrorKind::BadResponse);
      attempt.nothing_received = buffer.empty();
      co_return attempt;
    }
  }
  const http::ResponseHead& head = parser.head();
  response.status = head.status_code;
  std::optional<std::string_view> connection_field = head.headers.find("connection");
  for (const http::Header& field : head.headers) {
    if (isConnectionSpecific(field.name)) continue;
    if (connection_field && http::listContainsToken(*connection_field, field.name)) continue;
    response.headers.add(std::string(field.name), std::string(field.value));
  }
  const http::BodyFraming framing = head.framing;
  const uint64_t length = head.content_length.value_or(0);
  const bool keep_alive = head.keep_alive && !head.becomes_tunnel;
  buffer.erase(0, parsed.consumed);

  auto keep = [&](std::string_view data) {
    if (!options.keep_body) return true;
    if (response.body.size() + data.size() > options.max_body) return false;
    response.body.append(data);
    return true;
  };
  switch (framing) {
    case http::BodyFraming::None:
      break;
    case http::BodyFraming::ContentLength: {
      uint64_t remaining = length;
      for (;;) {
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining, buffer.size()));
        if (!keep(std::string_view(buffer).substr(0, take))) {
          attempt.outcome = ProxyError::of(ErrorKind::ResponseTooLarge);
          co_return attempt;
        }
        remaining -= take;
        buffer.erase(0, take);
        if (remaining == 0) break;
        if (!co_await more()) {
          attempt.outcome = ProxyError::of(ErrorKind::BadResponse);
          co_return attempt;
        }
      }
      break;
    }
    case http::BodyFraming::Chunked: {
      http::ChunkedDecoder decoder;
      for (;;) {
        size_t at = 0;
        while (at < buffer.size() && !decoder.done()) {
          http::ChunkedResult r = decoder.decode(std::string_view(buffer).substr(at));
          if (r.error()) {
            attempt.outcome = ProxyError::of(ErrorKind::BadResponse);
            co_return attempt;
          }
          if (!keep(r.data)) {
            attempt.outcome = ProxyError::of(ErrorKind::ResponseTooLarge);
            co_return attempt;
          }
          at += r.consumed;
        }
        buffer.erase(0, at);
        if (decoder.done()) break;
        if (!co_await more()) {
          attempt.outcome = ProxyError::of(ErrorKind::BadResponse);
          co_return attempt;
        }
      }
      break;
    }
    case http::BodyFraming::UntilClose:
      for (;;) {
        if (!keep(buffer)) {
          attempt.outcome = ProxyError::of(ErrorKind::ResponseTooLarge);
          co_return attempt;
        }
        buffer.clear();
        if (!co_await more()) break;
      }
      break;
  }
  attempt.reusable = keep_alive && framing != http::BodyFraming::UntilClose && buffer.empty();
  co_return attempt;
}

}  // namespace

asio::awaitable<Outcome> exchangeH1(Worker& worker, const snapshot::Endpoint& endpoint,
                                    const tls::UpstreamContext* tls, const BufferedRequest& request,
                                    BufferedResponse& response, ExchangeOptions options) {
  const std::string head = serializeH1Head(request);
  // The whole body is at hand: only idempotency decides whether a failed attempt may be replayed.
  const bool replayable = options.replay_stale && http::isIdempotent(request.method);
  for (int attempt = 0;; ++attempt) {
    Connection socket(worker.io());
    bool reused = false;
    if (attempt == 0) {
      const auto probe = replayable ? Pool::Probe::UnlessFresh : Pool::Probe::Always;
      if (auto pooled = worker.upstreams().take(endpoint, tls, probe)) {
        socket = std::move(*pooled);
        reused = true;
      }
    }
    if (!reused) {
      const auto connect_by = std::min(options.deadline, Clock::now() + worker.options().timeouts.upstream_connect);
      SocketDeadline deadline(worker.io(), socket.socket(), connect_by);
      if (error_code ec = co_await connect(socket, endpoint, tls)) {
        if (deadline.fired() && connect_by == options.deadline) co_return ProxyError::of(ErrorKind::TimedOut);
        co_return ec == handshakeFailed() ? ProxyError::of(ErrorKind::BadResponse) : ProxyError::of(ErrorKind::ConnectFailed);
      }
    }
    response = BufferedResponse{};
    SocketDeadline deadline(worker.io(), socket.socket(), options.deadline);
    Attempt result = co_await attemptH1(socket, head, request, response, options);
    if (deadline.fired()) co_return ProxyError::of(ErrorKind::TimedOut);
    if (!result.outcome) {
      if (result.reusable && socket.is_open()) worker.upstreams().put(endpoint, tls, std::move(socket));
      co_return std::nullopt;
    }
    if (replayable && reused && result.nothing_received && attempt == 0) continue;
    co_return result.outcome;
  }
}

}  // namespace gatehouse::dataplane::upstream
