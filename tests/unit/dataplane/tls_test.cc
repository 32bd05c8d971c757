// HTTPS termination on loopback: certificates made in the test with OpenSSL, chosen by SNI.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <netinet/tcp.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <thread>

#include "dataplane/dataplane.h"
#include "dataplane/tls/server_context.h"
#include "loopback.h"
#include "../test_certificates.h"

namespace gatehouse::testing {
namespace {

using dataplane::DataPlane;

asio::ssl::context& clientContext() {
  static asio::ssl::context ctx = [] {
    asio::ssl::context c(asio::ssl::context::tls_client);
    c.set_verify_mode(asio::ssl::verify_none);
    return c;
  }();
  return ctx;
}

// ALPN offers in wire format.
const std::string kHttp11{"\x08http/1.1", 9};
const std::string kHttp11AndH2{"\x08http/1.1\x02h2", 12};

class TlsClient : public BasicClient<asio::ssl::stream<tcp::socket>> {
 public:
  TlsClient(uint16_t port, const std::string& sni, const std::string& alpn = kHttp11)
      : BasicClient(asio::ssl::stream<tcp::socket>(tcp::socket(clientIo()), clientContext())) {
    stream().next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    setTimeouts(stream().next_layer());
    if (!sni.empty()) SSL_set_tlsext_host_name(stream().native_handle(), sni.c_str());
    if (!alpn.empty()) {
      SSL_set_alpn_protos(stream().native_handle(), reinterpret_cast<const unsigned char*>(alpn.data()),
                          static_cast<unsigned>(alpn.size()));
    }
    stream().handshake(asio::ssl::stream_base::client);
  }
  // The CN of the certificate the server presented.
  std::string peerName() {
    X509* cert = SSL_get1_peer_certificate(stream().native_handle());
    if (cert == nullptr) return "";
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    X509_free(cert);
    return cn;
  }
  std::string alpn() {
    const unsigned char* p = nullptr;
    unsigned int n = 0;
    SSL_get0_alpn_selected(stream().native_handle(), &p, &n);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
};

class TlsTest : public ::testing::Test {
 protected:
  TlsTest() : port_(freePort()) {}

  snapshot::SnapshotPtr httpsSnapshot(uint64_t version = 1) {
    TableBuilder t;
    t.rule(1, {M().prefix("/")});
    snapshot::Socket socket = socketWith(t.build(), port_);
    socket.transport = snapshot::Transport::Tls;
    // Two listeners: the first carries the default certificate.
    snapshot::Listener second = socket.listeners[0];
    socket.listeners[0].name = "https-a";
    socket.listeners[0].certificates = {cert_a_};
    second.name = "https-b";
    second.hostname = "b.example.com";
    second.certificates = {cert_b_};
    socket.listeners.insert(socket.listeners.begin(), second);  // most specific first
    return snapshotWith({socket}, {clusterOf("ns/empty:80", {}), clusterOf("ns/a:80", {backend_.endpoint()})}, version);
  }

  snapshot::TlsCertificate cert_a_ = makeCertificate({"a.example.com", "*.wild.example.com"});
  snapshot::TlsCertificate cert_b_ = makeCertificate({"b.example.com"});
  EchoBackend backend_{"a"};
  uint16_t port_;
};

TEST_F(TlsTest, CertificateIsChosenBySni) {
  DataPlane plane(dataplane::Options{});
  ASSERT_TRUE(plane.apply(httpsSnapshot()).empty());
  EXPECT_EQ(TlsClient(port_, "a.example.com").peerName(), "a.example.com");
  EXPECT_EQ(TlsClient(port_, "B.Example.Com").peerName(), "b.example.com");
  EXPECT_EQ(TlsClient(port_, "x.wild.example.com").peerName(), "a.example.com");  // wildcard SAN
}

TEST_F(TlsTest, UnknownOrMissingSniGetsTheSocketsFirstCertificate) {
  DataPlane plane(dataplane::Options{});
  ASSERT_TRUE(plane.apply(httpsSnapshot()).empty());
  EXPECT_EQ(TlsClient(port_, "").peerName(), "b.example.com");
  EXPECT_EQ(TlsClient(port_, "other.example.org").peerName(), "b.example.com");
}

TEST_F(TlsTest, ProxiesOverTlsWithAlpnHttp11AndForwardedProtoHttps) {
  DataPlane plane(dataplane::Options{});
  ASSERT_TRUE(plane.apply(httpsSnapshot()).empty());
  TlsClient client(port_, "a.example.com");
  EXPECT_EQ(client.alpn(), "http/1.1");
  client.send("GET /x HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
  Reply r = client.read();
  EXPECT_EQ(r.body, "a GET /x\nHost: a.example.com\nX-Forwarded-For: 127.0.0.1\nX-Forwarded-Proto: https\n\n");
  client.send("GET /y HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
  EXPECT_EQ(firstLine(client.read().body), "a GET /y");
}

TEST_F(TlsTest, AlpnPrefersH2WhenOffered) {
  DataPlane plane(dataplane::Options{});
  ASSERT_TRUE(plane.apply(httpsSnapshot()).empty());
  EXPECT_EQ(TlsClient(port_, "a.example.com", kHttp11AndH2).alpn(), "h2");
  EXPECT_EQ(TlsClient(port_, "a.example.com", kHttp11).alpn(), "http/1.1");
  EXPECT_EQ(TlsClient(port_, "a.example.com", "").alpn(), "");
}

TEST_F(TlsTest, ClientWithoutAlpnIsServedHttp11) {
  DataPlane plane(dataplane::Options{});
  ASSERT_TRUE(plane.apply(httpsSnapshot()).empty());
  TlsClient client(port_, "a.example.com", "");
  client.send("GET /no-alpn HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
  EXPECT_EQ(firstLine(client.read().body), "a GET /no-alpn");
}

// SNI b.example.com selects the listener "https-b"; Host a.example.com selects "https-a".
TEST_F(TlsTest, HostOfAnotherListenerThanTheSniIsMisdirected) {
  DataPlane plane(dataplane::Options{});
  ASSERT_TRUE(plane.apply(httpsSnapshot()).empty());
  TlsClient client(port_, "b.example.com");
  client.send("GET /x HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
  Reply r = client.read();
  EXPECT_EQ(r.status, 421);
  EXPECT_EQ(r.body, "Misdirected Request\n");
  // The connection stays usable for the listener its SNI chose.
  client.send("GET /y HTTP/1.1\r\nHost: b.example.com\r\n\r\n");
  r = client.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(firstLine(r.body), "a GET /y");

  TlsClient other(port_, "a.example.com");
  other.send("GET /x HTTP/1.1\r\nHost: b.example.com\r\n\r\n");
  EXPECT_EQ(other.read().status, 421);
}

TEST_F(TlsTest, WithoutSniTheHostAloneRoutes) {
  DataPlane plane(dataplane::Options{});
  ASSERT_TRUE(plane.apply(httpsSnapshot()).empty());
  TlsClient client(port_, "");
  client.send("GET /x HTTP/1.1\r\nHost: b.example.com\r\n\r\n");
  EXPECT_EQ(client.read().status, 200);
}

// Two requests arrive in one TCP segment as two TLS records: once the first is answered, the
// second is already inside OpenSSL (read ahead), where a readiness wait would never see it. The
// connection must serve it instead of parking.
TEST_F(TlsTest, RequestAlreadyReadAheadIsServedWithoutParking) {
  DataPlane plane(dataplane::Options{});
  ASSERT_TRUE(plane.apply(httpsSnapshot()).empty());
  TlsClient client(port_, "a.example.com");
  std::string first = "GET /one HTTP/1.1\r\nHost: a.example.com\r\nX-Pad: ";
  first += std::string(512 - first.size() - 4, 'p') + "\r\n\r\n";
  ASSERT_EQ(first.size(), 512u);
  SSL_set_max_send_fragment(client.stream().native_handle(), 512);  // one record per request
  const int fd = client.stream().next_layer().native_handle();
  int on = 1;
  int off = 0;
  ::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);  // both records in one segment
  client.send(first + "GET /two HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
  ::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
  EXPECT_EQ(firstLine(client.read().body), "a GET /one");
  EXPECT_EQ(firstLine(client.read().body), "a GET /two");
}

TEST_F(TlsTest, IdleTlsConnectionClosesAfterTheKeepAliveTimeout) {
  dataplane::Options options;
  options.timeouts.keepalive_idle = std::chrono::milliseconds(200);
  DataPlane plane(options);
  ASSERT_TRUE(plane.apply(httpsSnapshot()).empty());
  TlsClient client(port_, "a.example.com");
  client.send("GET /x HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
  EXPECT_EQ(client.read().status, 200);
  const auto idle_since = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closedByPeer());
  EXPECT_LT(std::chrono::steady_clock::now() - idle_since, std::chrono::seconds(3));  // not the client's 5 s
}

TEST_F(TlsTest, IdleTlsConnectionServesTheNextRequestAfterAPause) {
  DataPlane plane(dataplane::Options{});
  ASSERT_TRUE(plane.apply(httpsSnapshot()).empty());
  TlsClient client(port_, "a.example.com");
  client.send("GET /1 HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
  EXPECT_EQ(firstLine(client.read().body), "a GET /1");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // parked meanwhile
  client.send("GET /2 HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
  EXPECT_EQ(firstLine(client.read().body), "a GET /2");
}

TEST_F(TlsTest, RemovedSocketClosesIdleTlsConnections) {
  DataPlane plane(dataplane::Options{});
  ASSERT_TRUE(plane.apply(httpsSnapshot(1)).empty());
  TlsClient client(port_, "a.example.com");
  client.send("GET /x HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
  EXPECT_EQ(client.read().status, 200);
  ASSERT_TRUE(plane.apply(snapshotWith({}, {}, 2)).empty());
  const auto since = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closedByPeer());
  EXPECT_LT(std::chrono::steady_clock::now() - since, std::chrono::seconds(3));
}

TEST_F(TlsTest, UnchangedCertificatesAreNotRebuilt) {
  DataPlane plane(dataplane::Options{});
  ASSERT_TRUE(plane.apply(httpsSnapshot(1)).empty());
  TlsClient client(port_, "a.example.com");
  EXPECT_EQ(plane.tlsContextBuilds(), 2u);
  ASSERT_TRUE(plane.apply(httpsSnapshot(2)).empty());
  EXPECT_EQ(plane.tlsContextBuilds(), 2u);
  client.send("GET /still HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
  EXPECT_EQ(firstLine(client.read().body), "a GET /still");
}

TEST(ServerContext, RejectsAKeyThatDoesNotMatch) {
  snapshot::TlsCertificate a = makeCertificate({"a.example.com"});
  snapshot::TlsCertificate b = makeCertificate({"b.example.com"});
  a.key_pem = b.key_pem;
  auto context = dataplane::tls::ServerContext::create(a);
  ASSERT_FALSE(context.ok());
  EXPECT_NE(context.error().message.find("private key"), std::string::npos) << context.error().message;
}

}  // namespace
}  // namespace gatehouse::testing
