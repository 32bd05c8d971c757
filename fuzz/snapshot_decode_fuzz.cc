// Fuzzes what a data plane does with the config stream's bytes: decode() must turn any input
// into a snapshot or an Error, never crash, hang or allocate beyond the input's size. A decoded
// snapshot must survive encode/decode again unchanged, whole and per Gateway.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "snapshot/codec.h"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

void checkStable(const gatehouse::snapshot::Snapshot& snapshot) {
  const std::string bytes = gatehouse::snapshot::encode(snapshot);
  auto again = gatehouse::snapshot::decode(bytes);
  require(again.ok());
  require(gatehouse::snapshot::encode(*again.value()) == bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = gatehouse::snapshot::decode(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!decoded.ok()) {
    require(decoded.error().message.starts_with("snapshot decode: "));
    return 0;
  }
  const gatehouse::snapshot::Snapshot& snapshot = *decoded.value();
  checkStable(snapshot);
  if (!snapshot.sockets.empty() && !snapshot.sockets[0].listeners.empty())
    checkStable(gatehouse::snapshot::forGateway(snapshot, snapshot.sockets[0].listeners[0].gateway));
  return 0;
}
