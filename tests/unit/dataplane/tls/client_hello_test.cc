// The ClientHello reader on real hellos (openssl s_client, curl, Python, captured into the fuzz
// corpus), split at every byte, and on each rejection.
#include "dataplane/tls/client_hello.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

namespace gatehouse::dataplane::tls {
namespace {

using State = ClientHello::State;
constexpr size_t kLimit = 16384;

std::string corpusFile(const std::string& name) {
  std::ifstream in(std::string(GATEHOUSE_SOURCE_DIR) + "/fuzz/corpus/client_hello/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string u16(size_t n) { return {static_cast<char>(n >> 8), static_cast<char>(n & 0xff)}; }
std::string u24(size_t n) { return static_cast<char>(n >> 16) + u16(n & 0xffff); }

std::string sniExtension(const std::string& host) {
  const std::string entry = std::string(1, '\0') + u16(host.size()) + host;
  const std::string data = u16(entry.size()) + entry;
  return u16(0) + u16(data.size()) + data;
}

// A minimal valid ClientHello message with the given extensions block.
std::string helloMessage(const std::string& extensions) {
  std::string body = std::string("\x03\x03", 2) + std::string(32, 'r') + std::string(1, '\0') + u16(2) +
                     std::string("\x13\x01", 2) + std::string("\x01\x00", 2) + u16(extensions.size()) + extensions;
  return std::string(1, '\x01') + u24(body.size()) + body;
}

std::string record(const std::string& fragment) { return std::string("\x16\x03\x01", 3) + u16(fragment.size()) + fragment; }

ClientHello read(const std::string& bytes) { return readClientHello(bytes, kLimit); }

TEST(ClientHello, ReadsTheServerNameOfRealClients) {
  EXPECT_EQ(read(corpusFile("openssl-tls13-sni")).server_name, "abc.example.com");
  EXPECT_EQ(read(corpusFile("openssl-tls12-sni")).server_name, "other.example.com");
  EXPECT_EQ(read(corpusFile("python-sni")).server_name, "py.example.org");
  // curl sent "Www.Example.com": names compare lower-cased.
  EXPECT_EQ(read(corpusFile("curl-sni")).server_name, "www.example.com");
  const ClientHello none = read(corpusFile("openssl-no-sni"));
  EXPECT_EQ(none.state, State::Complete);
  EXPECT_EQ(none.server_name, "");
}

TEST(ClientHello, EveryPrefixOfARealHelloIsIncomplete) {
  const std::string hello = corpusFile("curl-sni");
  ASSERT_GT(hello.size(), 100u);
  for (size_t n = 0; n < hello.size(); ++n) ASSERT_EQ(read(hello.substr(0, n)).state, State::Incomplete) << n;
  EXPECT_EQ(read(hello).state, State::Complete);
}

TEST(ClientHello, HelloSplitIntoRecordsAtEveryByteIsReassembled) {
  const std::string message = helloMessage(sniExtension("split.example.com"));
  for (size_t cut = 1; cut < message.size(); ++cut) {
    const ClientHello hello = read(record(message.substr(0, cut)) + record(message.substr(cut)));
    ASSERT_EQ(hello.state, State::Complete) << cut;
    ASSERT_EQ(hello.server_name, "split.example.com") << cut;
  }
}

TEST(ClientHello, TrailingDotIsDropped) {
  EXPECT_EQ(read(record(helloMessage(sniExtension("a.example.com.")))).server_name, "a.example.com");
}

TEST(ClientHello, BytesAfterTheHelloRecordsAreNotLookedAt) {
  // TLS 1.3 early data may follow the hello in the same segment; it is replayed, not parsed.
  EXPECT_EQ(read(record(helloMessage(sniExtension("a.example.com"))) + "\x17\x03\x03garbage").server_name,
            "a.example.com");
}

struct Rejection {
  const char* name;
  std::string bytes;
  std::string error;
};

class ClientHelloRejects : public ::testing::TestWithParam<Rejection> {};

TEST_P(ClientHelloRejects, WithItsReason) {
  const ClientHello hello = read(GetParam().bytes);
  EXPECT_EQ(hello.state, State::Invalid);
  ASSERT_NE(hello.error, nullptr);
  EXPECT_EQ(std::string(hello.error), GetParam().error);
}

std::string recordHeader(size_t length) { return std::string("\x16\x03\x01", 3) + u16(length); }

// The hello of helloMessage("") with its extensions length claiming 5 bytes that are not there.
std::string overrunExtensions() {
  std::string message = helloMessage("");
  message.resize(message.size() - 2);
  return message + u16(5);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ClientHelloRejects,
    ::testing::Values(
        Rejection{"HttpRequest", "GET / HTTP/1.1\r\n", "not a TLS handshake record"},
        Rejection{"FirstByteAlone", "G", "not a TLS handshake record"},
        Rejection{"Sslv2Version", std::string("\x16\x02", 2), "not a TLS record version"},
        Rejection{"EmptyRecord", recordHeader(0), "TLS record length out of range"},
        Rejection{"OversizedRecord", recordHeader(16385), "TLS record length out of range"},
        Rejection{"RecordBeyondLimit", recordHeader(16384), "ClientHello larger than the limit"},
        Rejection{"NotAClientHello", record(std::string("\x02\x00\x00\x00", 4)),
                  "first handshake message is not a ClientHello"},
        Rejection{"HelloBeyondLimit", record(std::string("\x01\x01\x00\x00", 4)), "ClientHello larger than the limit"},
        Rejection{"SecondMessageInRecord", record(helloMessage("") + std::string("\x01\x00\x00\x00", 4)),
                  "ClientHello: bytes after the hello in its record"},
        Rejection{"TruncatedBody", record(std::string("\x01\x00\x00\x02\x03\x03", 6)), "ClientHello: truncated"},
        Rejection{"OddCipherSuites",
                  record(std::string(1, '\x01') + u24(38) + std::string("\x03\x03", 2) + std::string(32, 'r') +
                         std::string(1, '\0') + u16(1) + "x"),
                  "ClientHello: bad cipher_suites"},
        Rejection{"ExtensionsOverrun", record(overrunExtensions()), "ClientHello: bad extensions length"},
        Rejection{"DuplicateExtension", record(helloMessage(u16(10) + u16(0) + u16(10) + u16(0))),
                  "ClientHello: duplicated extension"},
        Rejection{"TwoHostNames",
                  record(helloMessage(u16(0) + u16(14) + u16(12) + std::string(1, '\0') + u16(3) + "a.b" +
                                      std::string(1, '\0') + u16(3) + "c.d")),
                  "server_name: more than one host_name"},
        Rejection{"EmptyHostName", record(helloMessage(sniExtension(""))), "server_name: host_name length"},
        Rejection{"LongHostName", record(helloMessage(sniExtension(std::string(256, 'a')))),
                  "server_name: host_name length"},
        Rejection{"HostNameWithSlash", record(helloMessage(sniExtension("a/b.example.com"))),
                  "server_name: host_name has a byte outside [A-Za-z0-9._-]"},
        Rejection{"HostNameWithNul", record(helloMessage(sniExtension(std::string("a\0b", 3)))),
                  "server_name: host_name has a byte outside [A-Za-z0-9._-]"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace gatehouse::dataplane::tls
