#include "configstream/frame.h"

#include <nlohmann/json.hpp>

namespace gatehouse::configstream {

namespace {

void putU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

uint64_t getU64(std::string_view in) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

}  // namespace

std::string encodeFrame(FrameType type, std::string_view payload) {
  const uint32_t length = static_cast<uint32_t>(payload.size() + 1);
  std::string out;
  out.reserve(kHeaderSize + payload.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((length >> shift) & 0xff));
  out.push_back(static_cast<char>(type));
  out.append(payload);
  return out;
}

Result<FrameHeader> decodeHeader(const std::array<uint8_t, kHeaderSize>& header) {
  const uint32_t length = (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) | (uint32_t{header[2]} << 8) | header[3];
  if (length == 0) return Error{"config stream: frame of length 0 (no type)"};
  if (length > kMaxFrameSize)
    return Error{"config stream: frame of " + std::to_string(length) + " bytes exceeds the limit of " +
                 std::to_string(kMaxFrameSize)};
  const uint8_t type = header[4];
  if (type < static_cast<uint8_t>(FrameType::Hello) || type > static_cast<uint8_t>(FrameType::Ping))
    return Error{"config stream: unknown frame type " + std::to_string(type)};
  return FrameHeader{static_cast<FrameType>(type), length - 1};
}

std::string encodeHello(const Hello& hello) {
  return nlohmann::json{{"version", hello.version}, {"gateway", hello.gateway}, {"token", hello.token}}.dump();
}

Result<Hello> decodeHello(std::string_view payload) {
  auto json = nlohmann::json::parse(payload, nullptr, false);
  if (!json.is_object()) return Error{"config stream: Hello is not a JSON object"};
  auto version = json.find("version");
  if (version == json.end() || !version->is_number_unsigned())
    return Error{"config stream: Hello has no protocol version"};
  if (version->get<uint64_t>() != kProtocolVersion)
    return Error{"config stream: protocol version " + std::to_string(version->get<uint64_t>()) + " is not supported (this controller speaks " +
                 std::to_string(kProtocolVersion) + ")"};
  auto gateway = json.find("gateway");
  auto token = json.find("token");
  if (gateway == json.end() || !gateway->is_string()) return Error{"config stream: Hello has no gateway"};
  if (token == json.end() || !token->is_string()) return Error{"config stream: Hello has no token"};
  Hello hello{kProtocolVersion, gateway->get<std::string>(), token->get<std::string>()};
  const auto slash = hello.gateway.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == hello.gateway.size() ||
      hello.gateway.find('/', slash + 1) != std::string::npos)
    return Error{"config stream: gateway \"" + hello.gateway + "\" is not namespace/name"};
  return hello;
}

std::string encodeConfig(uint64_t revision, std::string_view snapshot) {
  std::string out;
  out.reserve(8 + snapshot.size());
  putU64(out, revision);
  out.append(snapshot);
  return out;
}

Result<ConfigMessage> decodeConfig(std::string_view payload) {
  if (payload.size() < 8) return Error{"config stream: Config frame of " + std::to_string(payload.size()) + " bytes has no revision"};
  return ConfigMessage{getU64(payload), std::string(payload.substr(8))};
}

std::string encodeAck(const Ack& ack) {
  std::string out;
  putU64(out, ack.revision);
  out.append(ack.error);
  return out;
}

Result<Ack> decodeAck(std::string_view payload) {
  if (payload.size() < 8) return Error{"config stream: Ack frame of " + std::to_string(payload.size()) + " bytes has no revision"};
  return Ack{getU64(payload), std::string(payload.substr(8))};
}

}  // namespace gatehouse::configstream
