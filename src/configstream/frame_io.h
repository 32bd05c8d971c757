#pragma once
// Reading and writing whole frames on an Asio stream (the TLS stream of either end).
#include <array>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "configstream/frame.h"

namespace gatehouse::configstream {

struct Frame {
  FrameType type;
  std::string payload;
};

template <typename Stream>
boost::asio::awaitable<Result<Frame>> readFrame(Stream& stream) {
  namespace asio = boost::asio;
  std::array<uint8_t, kHeaderSize> header{};
  boost::system::error_code ec;
  auto header_buffer = asio::buffer(header);
  co_await asio::async_read(stream, header_buffer, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Error{ec.message()};
  auto decoded = decodeHeader(header);
  if (!decoded) co_return decoded.error();
  Frame frame{decoded->type, std::string(decoded->payload_size, '\0')};
  auto payload_buffer = asio::buffer(frame.payload);
  co_await asio::async_read(stream, payload_buffer, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Error{ec.message()};
  co_return frame;
}

// `bytes` is a whole frame (encodeFrame()); an empty error message means written.
template <typename Stream>
boost::asio::awaitable<std::string> writeFrame(Stream& stream, const std::string& bytes) {
  namespace asio = boost::asio;
  boost::system::error_code ec;
  auto buffer = asio::buffer(bytes);
  co_await asio::async_write(stream, buffer, asio::redirect_error(asio::use_awaitable, ec));
  co_return ec ? ec.message() : std::string();
}

}  // namespace gatehouse::configstream
