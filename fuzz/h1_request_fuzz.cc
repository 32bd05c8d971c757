// Downstream bytes: up to four pipelined requests, each head parsed whole and byte by byte,
// each chunked body relayed and decoded both ways. Runs under default and tiny limits so the
// 414/431 paths are reached by small inputs.
#include <cstddef>
#include <cstdint>

#include "h1_fuzz_checks.h"

namespace {

using namespace gatehouse::http;

void parseConnection(std::string_view input, const HeadLimits& limits) {
  for (int message = 0; message < 4 && !input.empty(); ++message) {
    auto make_parser = [&] { return RequestHeadParser(limits); };
    RequestHeadParser parser = make_parser();
    const ParseResult result = fuzz::parseBothWays(input, make_parser, parser);
    if (!result.complete()) {
      fuzz::require(!result.error() || (result.error_status >= 400 && !result.error_reason.empty()));
      return;
    }
    const RequestHead& head = parser.head();
    fuzz::require(result.consumed <= limits.max_head_bytes && head.headers.size() <= limits.max_header_count);
    fuzz::require(fuzz::within(head.method, input) && fuzz::within(head.target, input) &&
                  fuzz::within(head.host, input));
    fuzz::require(head.chunked == (head.framing == BodyFraming::Chunked));
    fuzz::require((head.framing == BodyFraming::ContentLength) == (!head.chunked && head.content_length.has_value()));
    fuzz::require(head.framing != BodyFraming::UntilClose);
    input.remove_prefix(result.consumed);
    if (head.framing == BodyFraming::Chunked) {
      const ChunkedResult body = fuzz::checkChunked(input);
      if (!body.done()) return;
      input.remove_prefix(body.consumed);
    } else if (head.framing == BodyFraming::ContentLength) {
      if (*head.content_length > input.size()) return;
      input.remove_prefix(static_cast<size_t>(*head.content_length));
    }
    if (!head.keep_alive) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  parseConnection(input, HeadLimits{});
  parseConnection(input, HeadLimits{.max_head_bytes = 256, .max_header_count = 6, .max_start_line_bytes = 64});
  return 0;
}
