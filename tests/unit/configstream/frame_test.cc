#include "configstream/frame.h"

#include <gtest/gtest.h>

#include "configstream/host_port.h"

namespace gatehouse::configstream {
namespace {

std::array<uint8_t, kHeaderSize> headerOf(const std::string& frame) {
  std::array<uint8_t, kHeaderSize> header{};
  for (size_t i = 0; i < kHeaderSize; ++i) header[i] = static_cast<uint8_t>(frame[i]);
  return header;
}

TEST(Frame, HeaderIsBigEndianLengthOfTypeAndPayloadThenType) {
  const std::string frame = encodeFrame(FrameType::Ack, "abc");
  EXPECT_EQ(frame, std::string("\x00\x00\x00\x04\x03" "abc", 8));
  auto header = decodeHeader(headerOf(frame));
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->type, FrameType::Ack);
  EXPECT_EQ(header->payload_size, 3u);
}

TEST(Frame, EmptyPingIsFiveBytes) {
  auto header = decodeHeader(headerOf(encodeFrame(FrameType::Ping, {})));
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->type, FrameType::Ping);
  EXPECT_EQ(header->payload_size, 0u);
}

TEST(Frame, LengthZeroIsRefused) {
  auto header = decodeHeader({0, 0, 0, 0, 1});
  ASSERT_FALSE(header.ok());
  EXPECT_EQ(header.error().message, "config stream: frame of length 0 (no type)");
}

TEST(Frame, LengthBeyondTheLimitIsRefusedBeforeAnyAllocation) {
  auto header = decodeHeader({0x04, 0x00, 0x00, 0x01, 2});
  ASSERT_FALSE(header.ok());
  EXPECT_EQ(header.error().message, "config stream: frame of 67108865 bytes exceeds the limit of 67108864");
}

TEST(Frame, UnknownTypeIsRefused) {
  auto header = decodeHeader({0, 0, 0, 1, 9});
  ASSERT_FALSE(header.ok());
  EXPECT_EQ(header.error().message, "config stream: unknown frame type 9");
}

TEST(Hello, RoundTrips) {
  auto hello = decodeHello(encodeHello({kProtocolVersion, "infra/web", "tok.en"}));
  ASSERT_TRUE(hello.ok()) << hello.error().message;
  EXPECT_EQ(hello->gateway, "infra/web");
  EXPECT_EQ(hello->token, "tok.en");
}

TEST(Hello, OtherProtocolVersionIsRefusedWithBothVersions) {
  auto hello = decodeHello(R"({"version":2,"gateway":"a/b","token":"t"})");
  ASSERT_FALSE(hello.ok());
  EXPECT_EQ(hello.error().message, "config stream: protocol version 2 is not supported (this controller speaks 1)");
}

TEST(Hello, GatewayMustBeNamespaceSlashName) {
  for (const char* gateway : {"web", "/web", "infra/", "a/b/c"}) {
    auto hello = decodeHello(encodeHello({kProtocolVersion, gateway, "t"}));
    ASSERT_FALSE(hello.ok()) << gateway;
    EXPECT_EQ(hello.error().message, std::string("config stream: gateway \"") + gateway + "\" is not namespace/name");
  }
}

TEST(Hello, NotJsonOrMissingFieldsIsRefused) {
  EXPECT_EQ(decodeHello("{").error().message, "config stream: Hello is not a JSON object");
  EXPECT_EQ(decodeHello(R"({"gateway":"a/b","token":"t"})").error().message, "config stream: Hello has no protocol version");
  EXPECT_EQ(decodeHello(R"({"version":1,"token":"t"})").error().message, "config stream: Hello has no gateway");
  EXPECT_EQ(decodeHello(R"({"version":1,"gateway":"a/b"})").error().message, "config stream: Hello has no token");
}

TEST(ConfigMessage, RevisionIsEightBytesBigEndianBeforeTheSnapshot) {
  const std::string payload = encodeConfig(0x0102030405060708ull, "GHSN");
  EXPECT_EQ(payload, std::string("\x01\x02\x03\x04\x05\x06\x07\x08GHSN", 12));
  auto config = decodeConfig(payload);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->revision, 0x0102030405060708ull);
  EXPECT_EQ(config->snapshot, "GHSN");
  EXPECT_EQ(decodeConfig("1234567").error().message, "config stream: Config frame of 7 bytes has no revision");
}

TEST(AckMessage, CarriesRevisionAndError) {
  auto ack = decodeAck(encodeAck({42, "cannot listen on 10.0.0.1:80: bind: Address in use"}));
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->revision, 42u);
  EXPECT_EQ(ack->error, "cannot listen on 10.0.0.1:80: bind: Address in use");
  EXPECT_EQ(decodeAck("").error().message, "config stream: Ack frame of 0 bytes has no revision");
}

TEST(HostPort, ParsesNamesIPv4AndBracketedIPv6) {
  auto name = parseHostPort("gatehouse.gatehouse-system.svc:15010");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->host, "gatehouse.gatehouse-system.svc");
  EXPECT_EQ(name->port, 15010);
  auto v6 = parseHostPort("[::1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  for (const char* bad : {"host", ":80", "host:", "host:65536", "host:8x"})
    EXPECT_EQ(parseHostPort(bad).error().message, std::string("\"") + bad + "\" is not HOST:PORT") << bad;
}

}  // namespace
}  // namespace gatehouse::configstream
