// RedisClient against a scripted server on a loopback socket, in one io_context: pipelined calls
// matched to their replies in order, a malformed reply failing the calls in flight and the
// connection opened again after the backoff, a timed-out call whose late reply is dropped, and a
// refused connection failing at once during the backoff; AUTH sent first, a refused AUTH failing
// the calls, and the password file read again at the next connect.
#include "dataplane/policies/redis/redis_client.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/policies/redis/redis_auth.h"
#include "redis_test_files.h"

namespace gatehouse::dataplane::redis {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using Result = RedisReply::Result;

// Not built inside a coroutine: GCC 12 cannot initialise a list from string literals in one.
std::string echo() { return encodeCommand({"ECHO", "x"}); }

class RedisClientTest : public ::testing::Test {
 protected:
  RedisClientTest() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}

  std::shared_ptr<RedisClient> client(std::chrono::milliseconds timeout = 1000ms, std::string password_file = "") {
    RedisOptions options;
    options.password_file = std::move(password_file);
    options.host = "127.0.0.1";
    options.port = acceptor_.local_endpoint().port();
    options.timeout = timeout;
    options.min_backoff = 50ms;
    options.dead_after = 150ms;
    return std::make_shared<RedisClient>(io_, options);
  }

  // Reads from `socket` until `n` whole commands (echo()) arrived.
  static asio::awaitable<std::string> readCommands(tcp::socket& socket, size_t n) {
    const size_t size = echo().size();
    std::string in(n * size, '\0');
    co_await asio::async_read(socket, asio::buffer(in), asio::use_awaitable);
    co_return in;
  }

  // Reads exactly `expected`'s size from `socket`; what came.
  static asio::awaitable<std::string> readExactly(tcp::socket& socket, const std::string& expected) {
    std::string in(expected.size(), '\0');
    co_await asio::async_read(socket, asio::buffer(in), asio::use_awaitable);
    co_return in;
  }

  static asio::awaitable<void> write(tcp::socket& socket, std::string bytes) {
    co_await asio::async_write(socket, asio::buffer(bytes), asio::use_awaitable);
  }

  // Runs `fn` (a coroutine) and the io_context until both it and the server are done.
  template <class Fn>
  void run(Fn fn) {
    bool done = false;
    asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
      co_await fn();
      done = true;
    }, asio::detached);
    io_.run_for(10s);
    ASSERT_TRUE(done);
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
};

TEST_F(RedisClientTest, PipelinesCallsAndMatchesRepliesInOrder) {
  auto redis = client();
  std::vector<RedisReply> replies(3);
  asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
    tcp::socket socket = co_await acceptor_.async_accept(asio::use_awaitable);
    // All three commands arrive before any reply is sent: they were written without waiting.
    co_await readCommands(socket, 3);
    co_await write(socket, ":1\r\n$3\r\ntwo\r\n-ERR three\r\n");
    co_await asio::steady_timer(io_, 200ms).async_wait(asio::use_awaitable);
  }, asio::detached);
  run([&]() -> asio::awaitable<void> {
    int left = 3;
    asio::steady_timer all(io_, 10s);
    for (size_t i = 0; i < 3; ++i) {
      asio::co_spawn(io_, [&, i]() -> asio::awaitable<void> {
        replies[i] = co_await redis->call(echo());
        if (--left == 0) all.cancel();
      }, asio::detached);
    }
    co_await all.async_wait(asio::as_tuple(asio::use_awaitable));
  });
  EXPECT_EQ(replies[0].result, Result::Ok);
  EXPECT_EQ(replies[0].value, (RespValue{RespValue::Type::Integer, "", 1, {}}));
  EXPECT_EQ(replies[1].value, (RespValue{RespValue::Type::BulkString, "two", 0, {}}));
  EXPECT_EQ(replies[2].value, (RespValue{RespValue::Type::Error, "ERR three", 0, {}}));
  EXPECT_EQ(redis->counts().ok, 3u);
}

TEST_F(RedisClientTest, AMalformedReplyFailsTheCallAndTheNextCallConnectsAgain) {
  auto redis = client();
  asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
    tcp::socket first = co_await acceptor_.async_accept(asio::use_awaitable);
    co_await readCommands(first, 1);
    co_await write(first, "!not resp\r\n");
    tcp::socket second = co_await acceptor_.async_accept(asio::use_awaitable);
    co_await readCommands(second, 1);
    co_await write(second, "+OK\r\n");
    co_await asio::steady_timer(io_, 200ms).async_wait(asio::use_awaitable);
  }, asio::detached);
  std::vector<Result> results;
  RespValue last;
  run([&]() -> asio::awaitable<void> {
    results.push_back((co_await redis->call(echo())).result);
    // Within the backoff: fails at once, without a connection.
    results.push_back((co_await redis->call(echo())).result);
    co_await asio::steady_timer(io_, 80ms).async_wait(asio::use_awaitable);
    RedisReply reply = co_await redis->call(echo());
    results.push_back(reply.result);
    last = reply.value;
  });
  EXPECT_EQ(results, (std::vector<Result>{Result::Error, Result::Error, Result::Ok}));
  EXPECT_EQ(last, (RespValue{RespValue::Type::SimpleString, "OK", 0, {}}));
  EXPECT_EQ(redis->counts().error, 2u);
  EXPECT_EQ(redis->counts().ok, 1u);
}

TEST_F(RedisClientTest, ATimedOutCallsLateReplyIsDroppedAndTheNextCallGetsItsOwn) {
  auto redis = client(50ms);
  asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
    tcp::socket socket = co_await acceptor_.async_accept(asio::use_awaitable);
    // No reply until the second command is there, which the client sends after the first timed out.
    co_await readCommands(socket, 2);
    co_await write(socket, ":7\r\n:8\r\n");
    co_await asio::steady_timer(io_, 200ms).async_wait(asio::use_awaitable);
  }, asio::detached);
  RedisReply first, second;
  run([&]() -> asio::awaitable<void> {
    first = co_await redis->call(echo());
    second = co_await redis->call(echo());
  });
  EXPECT_EQ(first.result, Result::Timeout);
  EXPECT_EQ(second.result, Result::Ok);
  EXPECT_EQ(second.value, (RespValue{RespValue::Type::Integer, "", 8, {}}));
  EXPECT_EQ(redis->counts().timeout, 1u);
  EXPECT_EQ(redis->counts().ok, 1u);
}

TEST_F(RedisClientTest, AConnectionWithoutRepliesIsClosedAfterDeadAfter) {
  auto redis = client(50ms);
  bool closed_by_client = false;
  asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
    tcp::socket socket = co_await acceptor_.async_accept(asio::use_awaitable);
    char byte;
    for (;;) {  // reads every command, answers none
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(&byte, 1), asio::as_tuple(asio::use_awaitable));
      if (ec) break;
    }
    closed_by_client = true;
  }, asio::detached);
  std::vector<Result> results;
  run([&]() -> asio::awaitable<void> {
    results.push_back((co_await redis->call(echo())).result);
    co_await asio::steady_timer(io_, 100ms).async_wait(asio::use_awaitable);
    // Times out 150 ms after the first call was made: the connection is given up.
    results.push_back((co_await redis->call(echo())).result);
    results.push_back((co_await redis->call(echo())).result);  // within the backoff
  });
  EXPECT_EQ(results, (std::vector<Result>{Result::Timeout, Result::Timeout, Result::Error}));
  EXPECT_TRUE(closed_by_client);
}

TEST_F(RedisClientTest, ARefusedConnectionFailsAtOnce) {
  auto redis = client();
  acceptor_.close();  // nothing listens on the port now
  std::vector<Result> results;
  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) results.push_back((co_await redis->call(echo())).result);
  });
  EXPECT_EQ(results, (std::vector<Result>{Result::Error, Result::Error, Result::Error}));
  EXPECT_EQ(redis->counts().error, 3u);
}

TEST_F(RedisClientTest, AuthGoesFirstPipelinedWithTheCalls) {
  RedisTestFiles files;
  auto redis = client(1000ms, files.write("password", "s3cret\n"));
  const std::string expected = authCommand("", "s3cret") + echo();
  std::string got;
  asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
    tcp::socket socket = co_await acceptor_.async_accept(asio::use_awaitable);
    got = co_await readExactly(socket, expected);
    co_await write(socket, "+OK\r\n:5\r\n");
    co_await asio::steady_timer(io_, 200ms).async_wait(asio::use_awaitable);
  }, asio::detached);
  RedisReply reply;
  run([&]() -> asio::awaitable<void> { reply = co_await redis->call(echo()); });
  EXPECT_EQ(got, expected);
  EXPECT_EQ(reply.result, Result::Ok);
  EXPECT_EQ(reply.value, (RespValue{RespValue::Type::Integer, "", 5, {}}));
  EXPECT_EQ(redis->counts().ok, 1u);
}

TEST_F(RedisClientTest, ARefusedAuthFailsTheCallsAndTheNextConnectReadsThePasswordAgain) {
  RedisTestFiles files;
  const std::string password_file = files.write("password", "old\n");
  auto redis = client(1000ms, password_file);
  std::string first, second;
  asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
    tcp::socket one = co_await acceptor_.async_accept(asio::use_awaitable);
    first = co_await readExactly(one, authCommand("", "old") + echo());
    // The call's own reply (NOAUTH) is never taken for its answer.
    co_await write(one, "-WRONGPASS invalid username-password pair or user is disabled.\r\n-NOAUTH Authentication "
                        "required.\r\n");
    tcp::socket two = co_await acceptor_.async_accept(asio::use_awaitable);
    second = co_await readExactly(two, authCommand("", "new") + echo());
    co_await write(two, "+OK\r\n:1\r\n");
    co_await asio::steady_timer(io_, 200ms).async_wait(asio::use_awaitable);
  }, asio::detached);
  std::vector<Result> results;
  run([&]() -> asio::awaitable<void> {
    results.push_back((co_await redis->call(echo())).result);
    files.write("password", "new\n");  // the rotated Secret
    co_await asio::steady_timer(io_, 80ms).async_wait(asio::use_awaitable);  // past the 50 ms backoff
    results.push_back((co_await redis->call(echo())).result);
  });
  EXPECT_EQ(first, authCommand("", "old") + echo());
  EXPECT_EQ(second, authCommand("", "new") + echo());
  EXPECT_EQ(results, (std::vector<Result>{Result::Error, Result::Ok}));
  EXPECT_EQ(redis->counts().error, 1u);
  EXPECT_EQ(redis->counts().ok, 1u);
}

TEST_F(RedisClientTest, AnUnreadablePasswordFileFailsTheCallWithoutConnecting) {
  RedisTestFiles files;
  auto redis = client(1000ms, files.path("missing"));
  bool accepted = false;
  acceptor_.async_accept([&](boost::system::error_code ec, tcp::socket) { accepted = !ec; });
  RedisReply reply;
  run([&]() -> asio::awaitable<void> {
    reply = co_await redis->call(echo());
    acceptor_.cancel();
  });
  EXPECT_EQ(reply.result, Result::Error);
  EXPECT_FALSE(accepted);
}

}  // namespace
}  // namespace gatehouse::dataplane::redis
