// The first bytes of a TLS passthrough connection: the reader either completes with a valid
// host name, asks for more, or rejects with a reason; feeding the same bytes in two pieces at
// every cut never changes the answer once complete, and a longer input never revives a rejected
// prefix.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dataplane/tls/client_hello.h"

namespace {

using gatehouse::dataplane::tls::ClientHello;
using gatehouse::dataplane::tls::readClientHello;

void require(bool ok) {
  if (!ok) std::abort();
}

void check(const ClientHello& hello) {
  if (hello.state == ClientHello::State::Invalid) {
    require(hello.error != nullptr);
    return;
  }
  require(hello.error == nullptr);
  if (hello.state != ClientHello::State::Complete) return;
  require(hello.server_name.size() <= 255);
  for (char c : hello.server_name) require((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (size_t limit : {size_t{16384}, size_t{512}}) {
    const ClientHello whole = readClientHello(input, limit);
    check(whole);
    // Every prefix: Incomplete prefixes precede the verdict; a rejected prefix stays rejected.
    bool rejected = false;
    for (size_t n = 0; n < size && n < 2048; ++n) {
      const ClientHello part = readClientHello(input.substr(0, n), limit);
      check(part);
      if (rejected) require(part.state == ClientHello::State::Invalid);
      rejected |= part.state == ClientHello::State::Invalid;
      if (part.state == ClientHello::State::Complete) {
        require(whole.state == ClientHello::State::Complete && whole.server_name == part.server_name);
        break;
      }
    }
    if (rejected) require(whole.state == ClientHello::State::Invalid);
  }
  return 0;
}
