#pragma once
// The config stream's wire format: frames over TLS between the controller and per-Gateway data
// planes (docs/design/config-stream.md). A frame is a 4-byte big-endian length (of the type byte
// plus the payload), a type byte, the payload. Both ends treat the other's bytes as untrusted:
// every decode returns an Error naming what is wrong.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace gatehouse::configstream {

enum class FrameType : uint8_t {
  Hello = 1,    // data plane -> controller, first: protocol version, Gateway, bearer token
  Config = 2,   // controller -> data plane: revision + encoded snapshot (snapshot/codec.h)
  Ack = 3,      // data plane -> controller: revision applied, or why it was not
  Refused = 4,  // controller -> data plane, then close: why the Hello was not admitted
  Ping = 5,     // controller -> data plane while idle: the data plane can tell a dead peer
};

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr size_t kHeaderSize = 5;
// A per-Gateway snapshot of thousands of routes encodes to a few MB; 64 MiB bounds what a
// peer can make the other buffer.
inline constexpr uint32_t kMaxFrameSize = 64u << 20;

struct FrameHeader {
  FrameType type;
  uint32_t payload_size;
};

std::string encodeFrame(FrameType type, std::string_view payload);
// Refuses a length of 0 (no type byte), beyond kMaxFrameSize, and unknown types.
Result<FrameHeader> decodeHeader(const std::array<uint8_t, kHeaderSize>& header);

struct Hello {
  uint32_t version = kProtocolVersion;
  std::string gateway;  // "namespace/name"
  std::string token;    // the data plane's service-account token (the controller judges it)
};
std::string encodeHello(const Hello& hello);
Result<Hello> decodeHello(std::string_view payload);

struct ConfigMessage {
  uint64_t revision = 0;
  std::string snapshot;  // snapshot::encode() of the Gateway's part
};
std::string encodeConfig(uint64_t revision, std::string_view snapshot);
Result<ConfigMessage> decodeConfig(std::string_view payload);

struct Ack {
  uint64_t revision = 0;
  std::string error;  // empty: applied and live
};
std::string encodeAck(const Ack& ack);
Result<Ack> decodeAck(std::string_view payload);

}  // namespace gatehouse::configstream
