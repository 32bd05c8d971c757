#include "dataplane/http/chunked_decoder.h"

#include <gtest/gtest.h>

#include <string>

namespace gatehouse::http {
namespace {

using namespace std::string_literals;

std::string describe(const ChunkedResult& r) {
  switch (r.status) {
    case ChunkedStatus::InProgress: return "InProgress(" + std::to_string(r.consumed) + ")";
    case ChunkedStatus::Done: return "Done(" + std::to_string(r.consumed) + ")";
    case ChunkedStatus::Error: return "Error(" + std::to_string(r.consumed) + ", " + std::string(r.error_reason) + ")";
  }
  return "?";
}

// Relays `input` in one call and describes the result.
std::string relayAll(std::string_view input, ChunkedLimits limits = {}) {
  ChunkedDecoder decoder(limits);
  return describe(decoder.relay(input));
}

// Relays `input` one byte at a time; the verdict names the total body bytes consumed.
std::string relayByteByByte(std::string_view input, ChunkedLimits limits = {}) {
  ChunkedDecoder decoder(limits);
  size_t total = 0;
  for (size_t i = 0; i < input.size(); ++i) {
    const ChunkedResult r = decoder.relay(input.substr(i, 1));
    total += r.consumed;
    if (r.done()) return "Done(" + std::to_string(total) + ")";
    if (r.error()) return "Error(" + std::to_string(total) + ", " + std::string(r.error_reason) + ")";
  }
  return "InProgress(" + std::to_string(total) + ")";
}

// Decodes `input` delivered in pieces of `piece` bytes; returns data and the final status.
std::string decodeInPieces(std::string_view input, size_t piece) {
  ChunkedDecoder decoder;
  std::string data;
  for (size_t start = 0; start < input.size(); start += piece) {
    std::string_view rest = input.substr(start, piece);
    while (!rest.empty()) {
      const ChunkedResult r = decoder.decode(rest);
      data.append(r.data);
      rest.remove_prefix(r.consumed);
      if (r.done()) return data + "|Done";
      if (r.error()) return data + "|Error(" + std::string(r.error_reason) + ")";
    }
  }
  return data + "|InProgress";
}

const std::string kBody = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";

TEST(ChunkedDecoder, RelayConsumesTheWholeBody) {
  EXPECT_EQ(relayAll(kBody), "Done(" + std::to_string(kBody.size()) + ")");
}

TEST(ChunkedDecoder, RelayStopsAtTheEndOfTheBody) {
  EXPECT_EQ(relayAll(kBody + "GET / HTTP/1.1\r\n"), "Done(" + std::to_string(kBody.size()) + ")");
}

TEST(ChunkedDecoder, RelayOfAPartialBodyIsInProgress) {
  EXPECT_EQ(relayAll("5\r\nhel"), "InProgress(6)");
}

TEST(ChunkedDecoder, RelayByteByByteMatchesAllAtOnce) {
  EXPECT_EQ(relayByteByByte(kBody + "next"), "Done(" + std::to_string(kBody.size()) + ")");
}

TEST(ChunkedDecoder, DecodeYieldsTheDataBytes) {
  EXPECT_EQ(decodeInPieces(kBody, kBody.size()), "hello world|Done");
}

TEST(ChunkedDecoder, DecodeGivesTheSameDataForEveryPieceSize) {
  for (size_t piece = 1; piece <= kBody.size(); ++piece)
    EXPECT_EQ(decodeInPieces(kBody, piece), "hello world|Done") << "piece " << piece;
}

TEST(ChunkedDecoder, DecodeDataViewsTheInput) {
  ChunkedDecoder decoder;
  const std::string input = "3\r\nabc\r\n";
  const ChunkedResult r = decoder.decode(input);
  EXPECT_EQ(describe(r), "InProgress(6)");
  EXPECT_EQ(r.data.data(), input.data() + 3);
  EXPECT_EQ(r.data, "abc");
}

TEST(ChunkedDecoder, CountsDataBytes) {
  ChunkedDecoder decoder;
  ASSERT_TRUE(decoder.relay(kBody).done());
  EXPECT_EQ(decoder.data_bytes(), 11u);
  EXPECT_TRUE(decoder.done());
}

TEST(ChunkedDecoder, EmptyBodyIsJustTheLastChunk) {
  EXPECT_EQ(relayAll("0\r\n\r\n"), "Done(5)");
}

TEST(ChunkedDecoder, AcceptsHexDigitsInEitherCaseAndLeadingZeros) {
  EXPECT_EQ(decodeInPieces("0000A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", 7), "0123456789abcdefghij|Done");
}

TEST(ChunkedDecoder, AcceptsChunkExtensions) {
  EXPECT_EQ(relayAll("1;a\r\nx\r\n1 ; a = b ;c=\"q \\\" s\"\r\ny\r\n0;last\r\n\r\n"), "Done(44)");
}

TEST(ChunkedDecoder, AcceptsValidTrailers) {
  EXPECT_EQ(relayAll("1\r\nx\r\n0\r\nChecksum: abc\r\nX-Empty:\r\n\r\n"), "Done(36)");
}

TEST(ChunkedDecoder, AcceptsTheLargestChunkSize) {
  EXPECT_EQ(relayAll("ffffffffffffffff\r\nab"), "InProgress(20)");
}

TEST(ChunkedDecoder, KeepsDoneUntilReset) {
  ChunkedDecoder decoder;
  ASSERT_TRUE(decoder.relay("0\r\n\r\n").done());
  EXPECT_EQ(describe(decoder.relay("1\r\nx")), "Done(0)");
  decoder.reset();
  EXPECT_EQ(describe(decoder.relay("1\r\nx")), "InProgress(4)");
}

TEST(ChunkedDecoder, KeepsErrorUntilReset) {
  ChunkedDecoder decoder;
  ASSERT_TRUE(decoder.relay("z").error());
  EXPECT_EQ(describe(decoder.relay("0\r\n\r\n")), "Error(0, invalid chunk size)");
  EXPECT_TRUE(decoder.failed());
  decoder.reset();
  EXPECT_EQ(describe(decoder.relay("0\r\n\r\n")), "Done(5)");
}

struct Malformed {
  const char* name;
  std::string input;
  std::string verdict;
};

class ChunkedRejection : public ::testing::TestWithParam<Malformed> {};

TEST_P(ChunkedRejection, IsRejectedWithExactReason) { EXPECT_EQ(relayAll(GetParam().input), GetParam().verdict); }

TEST_P(ChunkedRejection, IsRejectedTheSameWayByteByByte) {
  EXPECT_EQ(relayByteByByte(GetParam().input), GetParam().verdict);
}

INSTANTIATE_TEST_SUITE_P(
    Smuggling, ChunkedRejection,
    ::testing::Values(
        Malformed{"EmptySize", "\r\n", "Error(0, invalid chunk size)"},
        Malformed{"NonHexSize", "g\r\n", "Error(0, invalid chunk size)"},
        Malformed{"NegativeSize", "-1\r\n", "Error(0, invalid chunk size)"},
        Malformed{"HexPrefix", "0x5\r\nhello\r\n", "Error(1, invalid chunk size)"},
        Malformed{"OverflowingSize", "10000000000000000\r\n", "Error(16, chunk size overflows)"},
        Malformed{"LeadingSpace", " 5\r\n", "Error(0, invalid chunk size)"},
        Malformed{"TrailingSpaceWithoutExtension", "5 \r\nhello\r\n", "Error(2, invalid chunk extension)"},
        Malformed{"BareLfAfterSize", "5\nhello\r\n", "Error(1, invalid chunk size)"},
        Malformed{"BareCrAfterSize", "5\rhello\r\n", "Error(2, chunk-size line not ended by CRLF)"},
        Malformed{"DataLongerThanSize", "3\r\nhello\r\n", "Error(6, chunk data not followed by CRLF)"},
        Malformed{"BareLfAfterData", "5\r\nhello\n0\r\n\r\n", "Error(8, chunk data not followed by CRLF)"},
        Malformed{"BareCrAfterData", "5\r\nhello\r0\r\n\r\n", "Error(9, chunk data not followed by CRLF)"},
        Malformed{"EmptyExtensionName", "5;\r\nhello\r\n", "Error(2, invalid chunk extension)"},
        Malformed{"ExtensionWithoutValue", "5;a=\r\nhello\r\n", "Error(4, invalid chunk extension)"},
        Malformed{"ExtensionWithControlByte", "5;a\x01\r\nhello\r\n", "Error(3, invalid chunk extension)"},
        Malformed{"UnterminatedQuotedExtension", "5;a=\"b\r\nhello\r\n", "Error(6, invalid chunk extension)"},
        Malformed{"NulInSize", "5\0\r\nhello\r\n"s, "Error(1, invalid chunk size)"},
        Malformed{"BareLfEndsBody", "0\r\n\n", "Error(3, invalid trailer field name)"},
        Malformed{"BareCrEndsBody", "0\r\n\rX", "Error(4, chunked body not ended by CRLF)"},
        Malformed{"ObsFoldInTrailers", "0\r\nA: b\r\n c\r\n\r\n", "Error(9, obsolete line folding in trailers)"},
        Malformed{"SpaceBeforeColonInTrailer", "0\r\nA : b\r\n\r\n", "Error(4, whitespace before colon in trailer)"},
        Malformed{"TrailerWithoutColon", "0\r\nAb\r\n\r\n", "Error(5, invalid trailer field name)"},
        Malformed{"ControlByteInTrailerValue", "0\r\nA: \x7f\r\n\r\n", "Error(6, invalid trailer field value)"},
        Malformed{"BareLfInTrailer", "0\r\nA: b\n\r\n", "Error(7, invalid trailer field value)"},
        Malformed{"BareCrInTrailer", "0\r\nA: b\rc\r\n\r\n", "Error(8, trailer line not ended by CRLF)"}),
    [](const ::testing::TestParamInfo<Malformed>& info) { return std::string(info.param.name); });

TEST(ChunkedDecoder, RejectsAChunkSizeLineOverTheLimit) {
  const ChunkedLimits limits{.max_chunk_line_bytes = 8};
  EXPECT_EQ(relayAll("5;abcdef\r\nhello\r\n", limits), "InProgress(17)");
  EXPECT_EQ(relayAll("5;abcdefg\r\nhello\r\n", limits), "Error(8, chunk-size line too long)");
  EXPECT_EQ(relayByteByByte("5;abcdefg\r\nhello\r\n", limits), "Error(8, chunk-size line too long)");
}

TEST(ChunkedDecoder, BoundsLeadingZerosByTheLineLimit) {
  EXPECT_EQ(relayAll(std::string(5000, '0') + "1\r\n"), "Error(4096, chunk-size line too long)");
}

TEST(ChunkedDecoder, RejectsATrailerSectionOverTheLimit) {
  const ChunkedLimits limits{.max_trailer_bytes = 12};  // "A: 12345" CRLF CRLF
  EXPECT_EQ(relayAll("0\r\nA: 12345\r\n\r\n", limits), "Done(15)");
  EXPECT_EQ(relayAll("0\r\nA: 123456\r\n\r\n", limits), "Error(15, trailer section too large)");
}

TEST(ChunkedDecoder, RejectsTooManyTrailerFields) {
  const ChunkedLimits limits{.max_trailer_count = 2};
  EXPECT_EQ(relayAll("0\r\nA: 1\r\nB: 2\r\n\r\n", limits), "Done(17)");
  EXPECT_EQ(relayAll("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits), "Error(15, too many trailer fields)");
}

TEST(ChunkedDecoder, KeepsTheTrailerSectionWhenAsked) {
  const std::string body = "3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-Two: a b\r\n\r\n";
  for (size_t piece : {size_t{1}, size_t{4}, body.size()}) {
    ChunkedDecoder decoder;
    std::string trailers;
    decoder.keepTrailers(&trailers);
    std::string data;
    for (size_t start = 0; start < body.size(); start += piece) {
      std::string_view rest = std::string_view(body).substr(start, piece);
      while (!rest.empty()) {
        const ChunkedResult r = decoder.decode(rest);
        data.append(r.data);
        rest.remove_prefix(r.consumed);
        ASSERT_FALSE(r.error());
      }
    }
    EXPECT_TRUE(decoder.done());
    EXPECT_EQ(data, "abc");
    EXPECT_EQ(trailers, "X-Sum: 1\r\nX-Two: a b\r\n\r\n") << piece;
  }
}

TEST(ChunkedDecoder, KeepsNoTrailerBytesOfABodyWithoutTrailers) {
  ChunkedDecoder decoder;
  std::string trailers;
  decoder.keepTrailers(&trailers);
  EXPECT_EQ(describe(decoder.relay(kBody)), "Done(" + std::to_string(kBody.size()) + ")");
  EXPECT_EQ(trailers, "\r\n");
}

TEST(ChunkedDecoder, DefaultLimits) {
  const ChunkedLimits limits;
  EXPECT_EQ(limits.max_chunk_line_bytes, 4096u);
  EXPECT_EQ(limits.max_trailer_bytes, 16384u);
  EXPECT_EQ(limits.max_trailer_count, 100u);
}

}  // namespace
}  // namespace gatehouse::http
