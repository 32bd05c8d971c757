#include "dataplane/observe/span_exporter.h"

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "dataplane/observe/otlp_json.h"

namespace gatehouse::dataplane::observe {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

TEST(CollectorUrl, HostPortAndTheDefaultTracesPath) {
  const auto url = parseCollectorUrl("http://127.0.0.1:4318");
  ASSERT_TRUE(url);
  EXPECT_EQ(std::tie(url->host, url->port, url->path), std::make_tuple("127.0.0.1", "4318", "/v1/traces"));
  EXPECT_EQ(parseCollectorUrl("http://collector/")->path, "/v1/traces");
}

TEST(CollectorUrl, AnExplicitPathIsKeptAndPortDefaultsTo80) {
  const auto url = parseCollectorUrl("http://collector.example/otlp/v1/traces");
  ASSERT_TRUE(url);
  EXPECT_EQ(std::tie(url->host, url->port, url->path),
            std::make_tuple("collector.example", "80", "/otlp/v1/traces"));
}

TEST(CollectorUrl, BracketedIpv6) {
  const auto url = parseCollectorUrl("http://[::1]:4318/");
  ASSERT_TRUE(url);
  EXPECT_EQ(std::tie(url->host, url->port), std::make_tuple("::1", "4318"));
}

TEST(CollectorUrl, HttpsWithItsDefaultPort) {
  const auto url = parseCollectorUrl("https://collector.example");
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(std::tie(url->host, url->port, url->path), std::make_tuple("collector.example", "443", "/v1/traces"));
  EXPECT_FALSE(parseCollectorUrl("http://collector.example")->tls);
}

TEST(CollectorUrl, RefusesWhatItCannotReach) {
  EXPECT_EQ(parseCollectorUrl("grpc://collector:4317").error().message,
            "--otlp-endpoint grpc://collector:4317: give an http:// or https:// URL");
  EXPECT_FALSE(parseCollectorUrl("http://:4318"));
  EXPECT_FALSE(parseCollectorUrl("http://collector:x"));
  EXPECT_FALSE(parseCollectorUrl("http://collector:"));
  EXPECT_FALSE(parseCollectorUrl("http://[::1"));
}

// One HTTP/1.1 request read whole on 127.0.0.1, answered with `status`.
struct Receiver {
  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::future<std::string> request;

  explicit Receiver(int status) {
    request = std::async(std::launch::async, [this, status] {
      tcp::socket socket = acceptor.accept();
      std::string data;
      char buf[4096];
      boost::system::error_code ec;
      size_t head_end = std::string::npos;
      size_t length = 0;
      while (head_end == std::string::npos || data.size() < head_end + 4 + length) {
        const size_t n = socket.read_some(asio::buffer(buf), ec);
        if (ec) break;
        data.append(buf, n);
        if (head_end == std::string::npos && (head_end = data.find("\r\n\r\n")) != std::string::npos) {
          const size_t at = data.find("Content-Length: ");
          length = std::stoul(data.substr(at + 16));
        }
      }
      const std::string reply = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 2\r\n\r\n{}";
      asio::write(socket, asio::buffer(reply), ec);
      return data;
    });
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()); }
};

template <typename Predicate>
bool eventually(Predicate done) {
  for (int i = 0; i < 500 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
}

TEST(SpanExporter, PostsQueuedSpansAsOneExportRequest) {
  Receiver receiver(200);
  auto exporter = SpanExporter::create(receiver.url());
  ASSERT_TRUE(exporter);
  ASSERT_TRUE((*exporter)->submit(R"({"spanId":"a"})", 1));
  const std::string request = receiver.request.get();
  const std::string body = exportRequest(R"({"spanId":"a"})");
  EXPECT_EQ(request, "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1:" +
                         std::to_string(receiver.acceptor.local_endpoint().port()) +
                         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\nConnection: close\r\n\r\n" + body);
  EXPECT_TRUE(eventually([&] { return (*exporter)->stats().exported == 1; }));
  EXPECT_EQ((*exporter)->stats().failed, 0u);
}

TEST(SpanExporter, CollectorErrorCountsTheSpansAsFailed) {
  Receiver receiver(503);
  auto exporter = SpanExporter::create(receiver.url());
  ASSERT_TRUE((*exporter)->submit(R"({"a":1},{"b":2})", 2));
  receiver.request.get();
  EXPECT_TRUE(eventually([&] { return (*exporter)->stats().failed == 2; }));
  EXPECT_EQ((*exporter)->stats().exported, 0u);
}

TEST(SpanExporter, ACaFileIsForHttpsCollectorsOnlyAndMustLoad) {
  EXPECT_EQ(SpanExporter::create("http://c:4318", "/etc/hostname").error().message,
            "--otlp-ca-file /etc/hostname: the collector http://c:4318 is not https://");
  EXPECT_FALSE(SpanExporter::create("https://c:4318", "/etc/hostname"));  // no certificate in it
}

TEST(SpanExporter, FullQueueDropsAndCountsWithoutBlocking) {
  // Nothing listens there: the first batch fails; the oversized one never enters the queue.
  auto exporter = SpanExporter::create("http://127.0.0.1:1");
  EXPECT_FALSE((*exporter)->submit("{}", SpanExporter::kMaxQueuedSpans + 1));
  EXPECT_EQ((*exporter)->stats().dropped_queue_full, SpanExporter::kMaxQueuedSpans + 1);
  EXPECT_TRUE((*exporter)->submit("{}", 1));
  EXPECT_TRUE(eventually([&] { return (*exporter)->stats().failed == 1; }));
}

}  // namespace
}  // namespace gatehouse::dataplane::observe
