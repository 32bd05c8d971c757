// A trivial HTTP/1.1 keep-alive responder, written twice: with C++20 coroutines
// (asio::awaitable) and with plain completion handlers. Used to choose the data plane's
// connection style; the figures are in docs/design/event-loop.md.
//
// Build: g++ -O2 -std=c++20 -DBOOST_ASIO_NO_DEPRECATED bench/loop/keepalive_responder.cc -o /tmp/ka
// Run:   taskset -c 0 /tmp/ka coro 18080   (or: callback)
//        taskset -c 1 wrk -t1 -c50 -d10s http://127.0.0.1:18080/
#include <boost/asio.hpp>
#include <cstring>
#include <iostream>
#include <memory>
#include <string_view>

namespace asio = boost::asio;
using asio::ip::tcp;

static constexpr std::string_view kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

// Returns the number of complete request heads in [data, data+n) and the bytes they span.
static size_t completeHeads(const char* data, size_t n, size_t& consumed) {
  size_t count = 0;
  std::string_view s(data, n);
  size_t pos = 0;
  while (true) {
    size_t end = s.find("\r\n\r\n", pos);
    if (end == std::string_view::npos) break;
    pos = end + 4;
    ++count;
  }
  consumed = pos;
  return count;
}

asio::awaitable<void> coroConnection(tcp::socket socket) {
  char buf[4096];
  size_t have = 0;
  std::string out;
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf + have, sizeof buf - have),
                                                    asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    have += n;
    size_t consumed = 0;
    size_t heads = completeHeads(buf, have, consumed);
    std::memmove(buf, buf + consumed, have - consumed);
    have -= consumed;
    out.clear();
    for (size_t i = 0; i < heads; ++i) out.append(kResponse);
    if (!out.empty()) {
      auto [wec, w] = co_await asio::async_write(socket, asio::buffer(out), asio::as_tuple(asio::use_awaitable));
      if (wec) co_return;
    }
  }
}

asio::awaitable<void> coroAccept(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, s] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    s.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), coroConnection(std::move(s)), asio::detached);
  }
}

class CallbackConnection : public std::enable_shared_from_this<CallbackConnection> {
 public:
  explicit CallbackConnection(tcp::socket s) : socket_(std::move(s)) {}
  void start() { read(); }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(buf_ + have_, sizeof buf_ - have_),
                            [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                              if (ec) return;
                              self->onRead(n);
                            });
  }
  void onRead(size_t n) {
    have_ += n;
    size_t consumed = 0;
    size_t heads = completeHeads(buf_, have_, consumed);
    std::memmove(buf_, buf_ + consumed, have_ - consumed);
    have_ -= consumed;
    out_.clear();
    for (size_t i = 0; i < heads; ++i) out_.append(kResponse);
    if (out_.empty()) return read();
    asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (!ec) self->read();
    });
  }
  tcp::socket socket_;
  char buf_[4096];
  size_t have_ = 0;
  std::string out_;
};

void callbackAccept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](boost::system::error_code ec, tcp::socket s) {
    if (ec) return;
    s.set_option(tcp::no_delay(true));
    std::make_shared<CallbackConnection>(std::move(s))->start();
    callbackAccept(acceptor);
  });
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: ka coro|callback PORT\n";
    return 2;
  }
  std::string_view mode = argv[1];
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(std::atoi(argv[2]))));
  if (mode == "coro") {
    asio::co_spawn(io, coroAccept(acceptor), asio::detached);
  } else {
    callbackAccept(acceptor);
  }
  io.run();
}
