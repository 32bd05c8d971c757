// Upstream bytes: the first byte picks the request method (GET, HEAD or CONNECT) that decides
// the response framing; the rest is parsed whole and byte by byte, interim 1xx heads are
// followed by the final head, and a chunked body is relayed and decoded both ways.
#include <cstddef>
#include <cstdint>

#include "h1_fuzz_checks.h"

namespace {

using namespace gatehouse::http;

void parseUpstream(std::string_view method, std::string_view input, const HeadLimits& limits) {
  for (int message = 0; message < 4 && !input.empty(); ++message) {
    auto make_parser = [&] { return ResponseHeadParser(method, limits); };
    ResponseHeadParser parser = make_parser();
    const ParseResult result = fuzz::parseBothWays(input, make_parser, parser);
    if (!result.complete()) {
      fuzz::require(!result.error() || (result.error_status == 502 && !result.error_reason.empty()));
      return;
    }
    const ResponseHead& head = parser.head();
    fuzz::require(head.status_code >= 100 && head.status_code <= 599 && fuzz::within(head.reason, input));
    fuzz::require(!head.interim || head.framing == BodyFraming::None);
    fuzz::require(head.framing != BodyFraming::UntilClose || !head.keep_alive);
    input.remove_prefix(result.consumed);
    if (head.interim) continue;
    if (head.framing == BodyFraming::Chunked) {
      const ChunkedResult body = fuzz::checkChunked(input);
      if (!body.done()) return;
      input.remove_prefix(body.consumed);
    } else if (head.framing == BodyFraming::ContentLength) {
      if (*head.content_length > input.size()) return;
      input.remove_prefix(static_cast<size_t>(*head.content_length));
    } else if (head.framing != BodyFraming::None || head.becomes_tunnel) {
      return;
    }
    if (!head.keep_alive) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view kMethods[] = {"GET", "HEAD", "CONNECT"};
  const std::string_view method = kMethods[data[0] % 3];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  parseUpstream(method, input, HeadLimits{});
  parseUpstream(method, input, HeadLimits{.max_head_bytes = 256, .max_header_count = 6, .max_start_line_bytes = 64});
  return 0;
}
