#pragma once
// A Redis client for one worker thread: one TCP connection, pipelined (every call is written at
// once; replies come back in order and are matched to the calls in flight, first in first out).
// It never blocks the worker: a call waits at most its timeout, then fails with Timeout (its reply,
// when it comes, is read and dropped). The connection opens on the first call, within
// connect_timeout; when it fails or breaks (or a reply is not valid RESP2, or the oldest call
// waited dead_after for a reply), every call in flight fails with Error, and calls fail at once
// until the backoff (doubling up to max_backoff) has passed, when the next call connects again.
// With options.tls the connection is TLS (handshaken within connect_timeout too); with a
// password file, AUTH goes first, pipelined with the first calls, and an error reply to it
// fails the connection like any other failure. Neither adds anything to a call once connected.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "dataplane/policies/redis/redis_call_counts.h"
#include "dataplane/policies/redis/redis_options.h"
#include "dataplane/policies/redis/resp.h"

namespace gatehouse::dataplane::upstream {
class Connection;
}

namespace gatehouse::dataplane::redis {

struct RedisReply {
  enum class Result : uint8_t { Ok, Error, Timeout };
  Result result = Result::Error;
  RespValue value;  // Ok: the reply (which may be a Redis error reply)
};

class RedisClient : public std::enable_shared_from_this<RedisClient> {
 public:
  RedisClient(boost::asio::io_context& io, RedisOptions options);

  // Sends `command` (encodeCommand()) and waits for its reply. Worker thread only.
  boost::asio::awaitable<RedisReply> call(std::string command);

  const RedisOptions& options() const { return options_; }
  const RedisCallCounts& counts() const { return counts_; }

 private:
  using Clock = std::chrono::steady_clock;
  enum class State : uint8_t { Idle, Connecting, Connected };
  struct Pending {
    explicit Pending(boost::asio::io_context& io) : wake(io) {}
    boost::asio::steady_timer wake;  // cancelled when the reply (or the failure) is there
    Clock::time_point queued;
    bool done = false;
    RedisReply reply;
  };

  using Link = std::shared_ptr<upstream::Connection>;

  boost::asio::awaitable<void> connect(uint64_t connection);
  // Each holds the connection it works on: an SSL is freed only once no operation uses it.
  boost::asio::awaitable<void> readLoop(uint64_t connection, Link link);
  boost::asio::awaitable<void> writeLoop(uint64_t connection, Link link);
  // Redis accepted the connection (and AUTH): the backoff starts over.
  void accepted();
  void startWriting();
  void complete(Pending& pending, RedisReply reply);
  // Ends connection `connection` (if still current): closes it, fails every call in flight and
  // waits out the backoff before the next attempt.
  void fail(uint64_t connection, const std::string& why);

  boost::asio::io_context& io_;
  const RedisOptions options_;
  Link link_;  // the current attempt's
  State state_ = State::Idle;
  bool authenticating_ = false;  // the next reply is AUTH's
  uint64_t connection_ = 0;  // bumped per attempt: a coroutine of an older one stops
  Clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_;
  std::string out_;  // commands not written yet
  bool writing_ = false;
  std::deque<std::shared_ptr<Pending>> in_flight_;  // in the order their commands were queued
  RespParser parser_;
  RedisCallCounts counts_;
};

}  // namespace gatehouse::dataplane::redis
