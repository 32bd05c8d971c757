#include "dataplane/tls/client_hello.h"

#include <array>
#include <cstdint>

namespace gatehouse::dataplane::tls {

namespace {

constexpr uint8_t kHandshakeRecord = 22;
constexpr uint8_t kClientHelloMessage = 1;
constexpr size_t kRecordHeader = 5;
constexpr size_t kMaxRecord = 16384;  // 2^14, RFC 8446 5.1
constexpr uint16_t kServerNameExtension = 0;
constexpr uint8_t kHostNameType = 0;
constexpr size_t kMaxHostName = 255;

// Big-endian cursor over the hello's body; every read checks the bytes left.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool u8(uint8_t& out) {
    if (data_.size() < 1) return false;
    out = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return true;
  }
  bool u16(uint16_t& out) {
    if (data_.size() < 2) return false;
    out = static_cast<uint16_t>(static_cast<uint8_t>(data_[0]) << 8 | static_cast<uint8_t>(data_[1]));
    data_.remove_prefix(2);
    return true;
  }
  bool bytes(size_t n, std::string_view& out) {
    if (data_.size() < n) return false;
    out = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }
  // A vector with a length prefix of 1 or 2 bytes.
  bool vector8(std::string_view& out) {
    uint8_t n;
    return u8(n) && bytes(n, out);
  }
  bool vector16(std::string_view& out) {
    uint16_t n;
    return u16(n) && bytes(n, out);
  }
  bool empty() const { return data_.empty(); }

 private:
  std::string_view data_;
};

ClientHello invalid(const char* why) { return {ClientHello::State::Invalid, {}, why}; }

bool hostNameByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.';
}

// server_name extension data: ServerNameList (RFC 6066 3).
ClientHello serverName(std::string_view data) {
  Reader r(data);
  std::string_view list;
  if (!r.vector16(list) || !r.empty()) return invalid("server_name: bad list length");
  Reader entries(list);
  std::string_view host;
  bool found = false;
  while (!entries.empty()) {
    uint8_t type;
    std::string_view name;
    if (!entries.u8(type) || !entries.vector16(name)) return invalid("server_name: truncated entry");
    if (type != kHostNameType) continue;  // unknown name types are skipped (none is defined)
    if (found) return invalid("server_name: more than one host_name");
    found = true;
    host = name;
  }
  if (!found) return invalid("server_name: no host_name");
  if (host.empty() || host.size() > kMaxHostName) return invalid("server_name: host_name length");
  ClientHello out{ClientHello::State::Complete, {}, nullptr};
  out.server_name.reserve(host.size());
  for (char c : host) {
    if (!hostNameByte(c)) return invalid("server_name: host_name has a byte outside [A-Za-z0-9._-]");
    out.server_name.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  if (out.server_name.back() == '.') out.server_name.pop_back();
  if (out.server_name.empty()) return invalid("server_name: host_name length");
  return out;
}

// The ClientHello body (after the 4-byte handshake header), RFC 8446 4.1.2.
ClientHello parseBody(std::string_view body) {
  Reader r(body);
  std::string_view version, random, session, suites, compression;
  if (!r.bytes(2, version) || !r.bytes(32, random)) return invalid("ClientHello: truncated");
  if (!r.vector8(session) || session.size() > 32) return invalid("ClientHello: bad legacy_session_id");
  if (!r.vector16(suites) || suites.size() < 2 || suites.size() % 2 != 0)
    return invalid("ClientHello: bad cipher_suites");
  if (!r.vector8(compression) || compression.empty()) return invalid("ClientHello: bad compression_methods");
  ClientHello out{ClientHello::State::Complete, {}, nullptr};
  if (r.empty()) return out;  // no extensions (SSL 3.0 / TLS 1.0 style): no SNI
  std::string_view extensions;
  if (!r.vector16(extensions) || !r.empty()) return invalid("ClientHello: bad extensions length");
  Reader e(extensions);
  // Duplicates are forbidden (RFC 8446 4.2); the common types are checked with a bitmap.
  std::array<uint64_t, 1024> seen{};
  while (!e.empty()) {
    uint16_t type;
    std::string_view data;
    if (!e.u16(type) || !e.vector16(data)) return invalid("ClientHello: truncated extension");
    uint64_t& word = seen[type / 64];
    const uint64_t bit = uint64_t{1} << (type % 64);
    if (word & bit) return invalid("ClientHello: duplicated extension");
    word |= bit;
    if (type != kServerNameExtension) continue;
    out = serverName(data);
    if (out.state != ClientHello::State::Complete) return out;
  }
  return out;
}

}  // namespace

ClientHello readClientHello(std::string_view bytes, size_t max_bytes) {
  // The handshake bytes of the records so far: a single-record hello (nearly all of them) is
  // parsed in place, one that spans records is joined into `joined`.
  std::string joined;
  std::string_view handshake;
  size_t records = 0;
  size_t offset = 0;
  while (true) {
    if (bytes.size() - offset < kRecordHeader) {
      if (offset + kRecordHeader > max_bytes) return invalid("ClientHello larger than the limit");
      // Check what has arrived of the header already: reject early.
      if (bytes.size() > offset && static_cast<uint8_t>(bytes[offset]) != kHandshakeRecord)
        return invalid("not a TLS handshake record");
      if (bytes.size() > offset + 1 && static_cast<uint8_t>(bytes[offset + 1]) != 3)
        return invalid("not a TLS record version");
      return {};
    }
    const auto* header = reinterpret_cast<const uint8_t*>(bytes.data() + offset);
    if (header[0] != kHandshakeRecord) return invalid("not a TLS handshake record");
    if (header[1] != 3) return invalid("not a TLS record version");
    const size_t length = size_t{header[3]} << 8 | header[4];
    if (length == 0 || length > kMaxRecord) return invalid("TLS record length out of range");
    if (offset + kRecordHeader + length > max_bytes) return invalid("ClientHello larger than the limit");
    if (bytes.size() - offset - kRecordHeader < length) return {};
    const std::string_view fragment = bytes.substr(offset + kRecordHeader, length);
    offset += kRecordHeader + length;
    if (++records == 1) {
      handshake = fragment;
    } else {
      if (records == 2) joined.assign(handshake);
      joined.append(fragment);
      handshake = joined;
    }
    if (handshake.size() < 4) continue;
    if (static_cast<uint8_t>(handshake[0]) != kClientHelloMessage) return invalid("first handshake message is not a ClientHello");
    const size_t hello_length = size_t{static_cast<uint8_t>(handshake[1])} << 16 |
                                size_t{static_cast<uint8_t>(handshake[2])} << 8 | static_cast<uint8_t>(handshake[3]);
    if (hello_length + 4 > max_bytes) return invalid("ClientHello larger than the limit");
    if (handshake.size() < hello_length + 4) continue;
    // Bytes after the hello in its last record belong to the next handshake message, which a
    // client must not send before the server's reply.
    if (handshake.size() > hello_length + 4) return invalid("ClientHello: bytes after the hello in its record");
    return parseBody(handshake.substr(4, hello_length));
  }
}

}  // namespace gatehouse::dataplane::tls
