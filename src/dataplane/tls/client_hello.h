#pragma once
// Reads the server name (SNI, RFC 6066 section 3) from the first bytes of a TLS connection
// without terminating it: the bytes are TLS records (RFC 8446 section 5.1) of content type
// handshake whose fragments, concatenated, start with a ClientHello (section 4.1.2). A record
// may be split anywhere by TCP, and the hello may span several records; the reader is called
// again with more bytes until it says Complete or Invalid. Pure: no I/O; it allocates only the
// returned name, and a copy of the handshake bytes when the hello spans records.
#include <cstddef>
#include <string>
#include <string_view>

namespace gatehouse::dataplane::tls {

struct ClientHello {
  enum class State { Incomplete, Complete, Invalid };
  State state = State::Incomplete;
  // Complete: the host_name, lower-cased, without a trailing dot; empty when the hello has no
  // server_name extension.
  std::string server_name;
  const char* error = nullptr;  // Invalid: why
};

// `max_bytes` bounds the records holding the hello (a client that needs more is refused): the
// caller buffers at most that many bytes. Invalid for: a record that is not handshake (22) or has
// another major version than 3, an empty or oversized (> 2^14) record, a first handshake message
// other than ClientHello, a ClientHello longer than `max_bytes`, any length field that overruns
// its enclosing field, trailing bytes inside the hello, a duplicated extension, a server_name
// list without exactly one host_name, or a host_name that is empty, longer than 255 bytes or
// has a byte outside letters, digits, '-', '_' and '.'.
ClientHello readClientHello(std::string_view bytes, size_t max_bytes);

}  // namespace gatehouse::dataplane::tls
