#pragma once
// Consistency checks shared by the HTTP/1 fuzz targets: a parser must give the same verdict
// whether its input arrives all at once or one byte at a time into a buffer that moves.
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "dataplane/http/chunked_decoder.h"
#include "dataplane/http/h1_parser.h"

namespace gatehouse::http::fuzz {

inline void require(bool condition) {
  if (!condition) std::abort();  // a mismatch is a bug: let libFuzzer keep the input
}

inline std::string fingerprint(const HeaderList& headers) {
  std::string s;
  for (const Header& h : headers) {
    s.append(h.name).push_back(':');
    s.append(h.value).push_back('\n');
  }
  return s;
}

inline std::string fingerprint(const RequestHead& h) {
  std::string s;
  for (std::string_view part : {h.method, h.target, h.authority, h.path, h.query, h.host}) s.append(part).push_back('|');
  s += std::to_string(static_cast<int>(h.target_form)) + std::to_string(h.version_minor) +
       std::to_string(static_cast<int>(h.framing)) + (h.content_length ? std::to_string(*h.content_length) : "-") +
       std::to_string(h.chunked) + std::to_string(h.keep_alive) + std::to_string(h.upgrade) +
       std::to_string(h.expect_continue) + "\n";
  return s + fingerprint(h.headers);
}

inline std::string fingerprint(const ResponseHead& h) {
  std::string s = std::to_string(h.version_minor) + "|" + std::to_string(h.status_code) + "|" + std::string(h.reason) +
                  "|" + std::to_string(static_cast<int>(h.framing)) + "|" +
                  (h.content_length ? std::to_string(*h.content_length) : "-") + std::to_string(h.chunked) +
                  std::to_string(h.keep_alive) + std::to_string(h.interim) + std::to_string(h.becomes_tunnel) + "\n";
  return s + fingerprint(h.headers);
}

inline bool within(std::string_view part, std::string_view buffer) {
  return part.empty() || (part.data() >= buffer.data() && part.data() + part.size() <= buffer.data() + buffer.size());
}

// Parses `input` whole and byte by byte with fresh parsers from make_parser(); aborts when the
// verdicts or heads differ. Returns the whole-input result; `parser` keeps that parse.
template <typename Parser, typename MakeParser>
ParseResult parseBothWays(std::string_view input, MakeParser make_parser, Parser& parser) {
  const ParseResult whole = parser.parse(input);
  require(!whole.complete() || (whole.consumed > 0 && whole.consumed <= input.size()));

  Parser incremental = make_parser();
  ParseResult result;
  // Small inputs get a fresh allocation per byte so that ASan sees any read of an old buffer.
  const bool move_every_byte = input.size() <= 512;
  std::unique_ptr<char[]> moving;
  std::string growing;
  for (size_t n = 1; n <= input.size(); ++n) {
    std::string_view prefix;
    if (move_every_byte) {
      auto next = std::make_unique<char[]>(n);
      std::copy(input.data(), input.data() + n, next.get());
      moving = std::move(next);
      prefix = std::string_view(moving.get(), n);
    } else {
      growing.push_back(input[n - 1]);
      prefix = growing;
    }
    result = incremental.parse(prefix);
    if (!result.incomplete()) {
      require(result == whole);
      if (result.complete()) require(fingerprint(incremental.head()) == fingerprint(parser.head()));
      return whole;
    }
  }
  require(whole.incomplete());
  return whole;
}

// Runs the chunked decoder over `body` in relay mode (whole and byte by byte) and in decode
// mode; aborts when they disagree. Returns the relay result for the whole input.
inline ChunkedResult checkChunked(std::string_view body) {
  ChunkedDecoder whole;
  const ChunkedResult expected = whole.relay(body);
  require(expected.consumed <= body.size());
  require(!expected.in_progress() || expected.consumed == body.size());

  ChunkedDecoder bytewise;
  size_t total = 0;
  ChunkedResult last;
  for (size_t i = 0; i < body.size(); ++i) {
    last = bytewise.relay(body.substr(i, 1));
    total += last.consumed;
    if (!last.in_progress()) break;
  }
  require(last.status == expected.status && total == expected.consumed && last.error_reason == expected.error_reason);

  ChunkedDecoder decoder;
  std::string_view rest = body;
  size_t decoded_total = 0;
  uint64_t data_total = 0;
  ChunkedResult step;
  while (!rest.empty()) {
    step = decoder.decode(rest);
    require(step.consumed <= rest.size() && step.data.size() <= step.consumed);
    require(step.consumed > 0 || !step.in_progress());  // progress, or the loop would spin
    require(step.data.empty() || step.data.data() + step.data.size() == rest.data() + step.consumed);
    data_total += step.data.size();
    decoded_total += step.consumed;
    rest.remove_prefix(step.consumed);
    if (!step.in_progress()) break;
  }
  require(step.status == expected.status && decoded_total == expected.consumed);
  require(data_total == whole.data_bytes() && data_total == decoder.data_bytes());
  return expected;
}

}  // namespace gatehouse::http::fuzz
