// An upgraded HTTP/1.1 connection (a WebSocket after the upstream's 101): bytes both ways until
// either side closes, each direction idle-bounded by the keep-alive timeout.
#include <boost/asio/experimental/awaitable_operators.hpp>

#include "dataplane/http/h1_connection_impl.h"

namespace gatehouse::dataplane::h1 {

template <class Stream>
asio::awaitable<void> H1Connection<Stream>::splice() {
  using namespace asio::experimental::awaitable_operators;
  // Bytes the client sent after its upgrade request go first.
  if (begin_ != end_) {
    if (failed(co_await writeUpstream(asio::buffer(buf_.get() + begin_, end_ - begin_)))) co_return;
    begin_ = end_ = 0;
  }
  co_await (pumpToUpstream() && pumpToDownstream());
  closeUpstream();
}

template <class Stream>
asio::awaitable<void> H1Connection<Stream>::pumpToUpstream() {
  for (;;) {
    setDeadlineIn(Wait::Tunnel, options().timeouts.keepalive_idle);
    auto [ec, n] = co_await readDownstream(buf_.get(), capacity());
    if (ec) break;
    if (failed(co_await writeUpstream(asio::buffer(buf_.get(), n)))) break;
  }
  error_code ignored;
  if (active_->upstream.is_open()) active_->upstream.shutdown(tcp::socket::shutdown_send, ignored);
  if (timed_out_) cancelSockets();
}

template <class Stream>
asio::awaitable<void> H1Connection<Stream>::pumpToDownstream() {
  for (;;) {
    setDeadlineIn(Wait::Tunnel, options().timeouts.keepalive_idle);
    auto [ec, n] = co_await active_->upstream.async_read_some(asio::buffer(ubuf_.get(), capacity()), kTuple);
    if (ec) break;
    if (failed(co_await writeDownstream(asio::buffer(ubuf_.get(), n)))) break;
  }
  error_code ignored;
  downstream().shutdown(tcp::socket::shutdown_send, ignored);
  if (timed_out_) cancelSockets();
}

template asio::awaitable<void> H1Connection<tcp::socket>::splice();
template asio::awaitable<void> H1Connection<tls::Stream>::splice();

}  // namespace gatehouse::dataplane::h1
