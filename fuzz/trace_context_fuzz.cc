// The W3C trace context a client sends (traceparent, tracestate): the input is split at its
// first newline into the two header values. A traceparent that parses formats back to its first
// 55 bytes, except the version (always 00 when written); tracestate validation never reads
// outside its input (ASan) and agrees with itself on a copy.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dataplane/observe/trace_context.h"

namespace {

using namespace gatehouse::dataplane::observe;

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view parent = input.substr(0, newline);
  const std::string_view state = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  // Copies, so that ASan sees any read past the value's end.
  const std::string parent_copy(parent);
  if (const auto parsed = parseTraceparent(parent_copy)) {
    char formatted[kTraceparentSize];
    formatTraceparent(formatted, parsed->trace_id, parsed->parent_id, parsed->flags);
    require(std::string_view(formatted + 2, kTraceparentSize - 2) == parent.substr(2, kTraceparentSize - 2));
  }
  const std::string state_copy(state);
  require(validTracestate(state_copy) == validTracestate(state));
  return 0;
}
