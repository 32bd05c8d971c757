#include "dataplane/http/h1_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gatehouse::http {
namespace {

using namespace std::string_literals;

// Every observable field of a parsed head in one string, so that tests compare all of it.
std::string describe(const RequestHead& h) {
  std::string s = std::string(h.method) + " [" + std::string(h.target) + "] form=" +
                  std::to_string(static_cast<int>(h.target_form)) + " authority=" + std::string(h.authority) +
                  " path=" + std::string(h.path) + " query=" + std::string(h.query) +
                  " minor=" + std::to_string(h.version_minor) + " host=" + std::string(h.host) +
                  " framing=" + std::to_string(static_cast<int>(h.framing)) +
                  " cl=" + (h.content_length ? std::to_string(*h.content_length) : "-") +
                  " chunked=" + std::to_string(h.chunked) + " keep_alive=" + std::to_string(h.keep_alive) +
                  " upgrade=" + std::to_string(h.upgrade) + " expect=" + std::to_string(h.expect_continue);
  for (const Header& f : h.headers) s += " {" + std::string(f.name) + ":" + std::string(f.value) + "}";
  return s;
}

std::string describe(const ResponseHead& h) {
  std::string s = "minor=" + std::to_string(h.version_minor) + " status=" + std::to_string(h.status_code) +
                  " reason=" + std::string(h.reason) + " framing=" + std::to_string(static_cast<int>(h.framing)) +
                  " cl=" + (h.content_length ? std::to_string(*h.content_length) : "-") +
                  " chunked=" + std::to_string(h.chunked) + " keep_alive=" + std::to_string(h.keep_alive) +
                  " interim=" + std::to_string(h.interim) + " tunnel=" + std::to_string(h.becomes_tunnel);
  for (const Header& f : h.headers) s += " {" + std::string(f.name) + ":" + std::string(f.value) + "}";
  return s;
}

std::string describe(const ParseResult& r) {
  switch (r.status) {
    case ParseStatus::Incomplete: return "Incomplete";
    case ParseStatus::Complete: return "Complete(" + std::to_string(r.consumed) + ")";
    case ParseStatus::Error: return "Error(" + std::to_string(r.error_status) + ", " + std::string(r.error_reason) + ")";
  }
  return "?";
}

std::string parseRequest(std::string_view input, const HeadLimits& limits = {}) {
  RequestHeadParser parser(limits);
  return describe(parser.parse(input));
}

// Feeds `input` one byte at a time through a buffer that reallocates as it grows, and checks
// that every prefix is Incomplete or the final verdict, which must equal the all-at-once one.
template <typename Parser, typename MakeParser>
::testing::AssertionResult sameVerdictByteByByte(std::string_view input, MakeParser make_parser) {
  Parser whole = make_parser();
  const ParseResult whole_result = whole.parse(input);
  const std::string whole_head = whole_result.complete() ? describe(whole.head()) : "";

  Parser incremental = make_parser();
  std::string buffer;
  ParseResult result;
  for (char c : input) {
    buffer.push_back(c);
    buffer.shrink_to_fit();  // move the bytes on every call
    result = incremental.parse(buffer);
    if (!result.incomplete()) break;
  }
  if (!(result == whole_result))
    return ::testing::AssertionFailure() << "byte by byte " << describe(result) << " vs all at once "
                                         << describe(whole_result);
  if (result.complete() && describe(incremental.head()) != whole_head)
    return ::testing::AssertionFailure() << describe(incremental.head()) << "\nvs\n" << whole_head;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult requestSameVerdictByteByByte(std::string_view input, HeadLimits limits = {}) {
  return sameVerdictByteByByte<RequestHeadParser>(input, [&] { return RequestHeadParser(limits); });
}

// --- Valid requests ------------------------------------------------------------------------

TEST(RequestHeadParser, ParsesGetWithEveryField) {
  const std::string input = "GET /search?q=1&r=2 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8\r\n\r\n";
  RequestHeadParser parser;
  EXPECT_EQ(describe(parser.parse(input)), "Complete(" + std::to_string(input.size()) + ")");
  EXPECT_EQ(describe(parser.head()),
            "GET [/search?q=1&r=2] form=0 authority= path=/search query=q=1&r=2 minor=1 host=example.com "
            "framing=0 cl=- chunked=0 keep_alive=1 upgrade=0 expect=0 {Host:example.com} {User-Agent:curl/8}");
}

TEST(RequestHeadParser, ViewsPointIntoTheCallersBuffer) {
  const std::string input = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
  RequestHeadParser parser;
  ASSERT_TRUE(parser.parse(input).complete());
  EXPECT_EQ(parser.head().method.data(), input.data());
  EXPECT_EQ(parser.head().headers[0].value.data(), input.data() + 23);
}

TEST(RequestHeadParser, PreservesFieldNameCaseAndLooksUpIgnoringCase) {
  const std::string input = "GET / HTTP/1.1\r\nHOST: h\r\nX-Trace-ID: 1\r\nx-trace-id: 2\r\n\r\n";
  RequestHeadParser parser;
  ASSERT_TRUE(parser.parse(input).complete());
  const HeaderList& headers = parser.head().headers;
  EXPECT_EQ(headers[1].name, "X-Trace-ID");
  EXPECT_EQ(headers.find("x-TRACE-id"), "1");
  EXPECT_EQ(headers.count("X-TRACE-ID"), 2u);
  EXPECT_TRUE(headers.contains("host"));
  EXPECT_EQ(headers.find("absent"), std::nullopt);
}

TEST(RequestHeadParser, TrimsWhitespaceAroundFieldValues) {
  const std::string input = "GET / HTTP/1.1\r\nHost:h\r\nX-A: \t a b \t\r\nX-Empty:   \r\n\r\n";
  RequestHeadParser parser;
  ASSERT_TRUE(parser.parse(input).complete());
  EXPECT_EQ(parser.head().headers[1].value, "a b");
  EXPECT_EQ(parser.head().headers[2].value, "");
}

TEST(RequestHeadParser, AcceptsObsTextAndTabInFieldValues) {
  EXPECT_EQ(parseRequest("GET / HTTP/1.1\r\nHost: h\r\nX-A: caf\xc3\xa9\tb\r\n\r\n"), "Complete(41)");
}

// Field values are checked eight bytes at a time; every byte must be caught at every offset.
TEST(RequestHeadParser, ChecksEveryByteValueAtEveryOffsetOfAFieldValue) {
  for (int byte = 0; byte < 256; ++byte) {
    const char c = static_cast<char>(byte);
    const bool allowed = byte == '\t' || (byte >= 0x20 && byte != 0x7f);
    for (size_t offset = 0; offset < 16; ++offset) {
      std::string value(16, 'v');
      value[offset] = c;
      const std::string input = "GET / HTTP/1.1\r\nHost: h\r\nX: " + value + "\r\n\r\n";
      const std::string verdict = allowed       ? "Complete(" + std::to_string(input.size()) + ")"
                                  : byte == '\n' ? "Error(400, bare LF line ending)"  // LF ends the line
                                                  : "Error(400, invalid field value)";
      EXPECT_EQ(parseRequest(input), verdict)
          << "byte " << byte << " at " << offset;
    }
  }
}

TEST(RequestHeadParser, IsIncompleteUntilTheEmptyLine) {
  EXPECT_EQ(parseRequest("GET / HTTP/1.1\r\nHost: h\r\n"), "Incomplete");
  EXPECT_EQ(parseRequest("GET / HTTP/1.1\r\nHost: h\r\n\r"), "Incomplete");
  EXPECT_EQ(parseRequest(""), "Incomplete");
}

TEST(RequestHeadParser, IgnoresEmptyLinesBeforeTheRequestLine) {
  EXPECT_EQ(parseRequest("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), "Complete(31)");
}

TEST(RequestHeadParser, HttpOneZeroNeedsNoHost) {
  RequestHeadParser parser;
  ASSERT_EQ(describe(parser.parse("GET / HTTP/1.0\r\n\r\n")), "Complete(18)");
  EXPECT_EQ(parser.head().version_minor, 0);
  EXPECT_EQ(parser.head().host, "");
  EXPECT_FALSE(parser.head().keep_alive);
}

TEST(RequestHeadParser, ConsumedStopsAtTheEndOfTheFirstPipelinedRequest) {
  const std::string first = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n";
  const std::string second = "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string input = first + "hello" + second;
  RequestHeadParser parser;
  const ParseResult r1 = parser.parse(input);
  ASSERT_EQ(describe(r1), "Complete(" + std::to_string(first.size()) + ")");
  EXPECT_EQ(parser.head().content_length, 5u);
  parser.reset();
  const std::string_view rest = std::string_view(input).substr(r1.consumed + 5);
  EXPECT_EQ(describe(parser.parse(rest)), "Complete(" + std::to_string(second.size()) + ")");
  EXPECT_EQ(parser.head().path, "/b");
}

TEST(RequestHeadParser, ResumesWhenTheBufferMovedBetweenCalls) {
  std::string first_buffer = "GET /moved?x HTTP/1.1\r\nHo";
  RequestHeadParser parser;
  ASSERT_TRUE(parser.parse(first_buffer).incomplete());
  std::string second_buffer = first_buffer + "st: h\r\nX: y\r\n\r\n";
  first_buffer.assign(first_buffer.size(), '#');  // the old bytes must not be read again
  ASSERT_TRUE(parser.parse(second_buffer).complete());
  EXPECT_EQ(parser.head().path, "/moved");
  EXPECT_EQ(parser.head().path.data(), second_buffer.data() + 4);
  EXPECT_EQ(parser.head().host, "h");
}

TEST(RequestHeadParser, RepeatsItsVerdictUntilReset) {
  RequestHeadParser parser;
  const std::string bad = "GET / HTTP/1.1\r\nHost : h\r\n\r\n";
  const ParseResult first = parser.parse(bad);
  EXPECT_EQ(describe(parser.parse(bad)), describe(first));
  parser.reset();
  EXPECT_TRUE(parser.parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n").complete());
}

TEST(RequestHeadParser, KeepsMoreThanTheInlineCapacityOfFieldsInOrder) {
  std::string input = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 40; ++i) input += "X-" + std::to_string(i) + ": v" + std::to_string(i) + "\r\n";
  input += "\r\n";
  RequestHeadParser parser;
  ASSERT_TRUE(parser.parse(input).complete());
  ASSERT_EQ(parser.head().headers.size(), 41u);
  EXPECT_EQ(parser.head().headers[33].name, "X-32");
  EXPECT_EQ(parser.head().headers[40].value, "v39");
}

// --- Request-target forms (RFC 9112 §3.2) ------------------------------------------------

TEST(RequestHeadParser, ParsesAbsoluteFormWithAuthorityPathAndQuery) {
  RequestHeadParser parser;
  ASSERT_TRUE(parser.parse("GET http://example.com:8080/p?q HTTP/1.1\r\nHost: other\r\n\r\n").complete());
  EXPECT_EQ(parser.head().target_form, TargetForm::Absolute);
  EXPECT_EQ(parser.head().authority, "example.com:8080");
  EXPECT_EQ(parser.head().path, "/p");
  EXPECT_EQ(parser.head().query, "q");
}

TEST(RequestHeadParser, AbsoluteFormWithoutPathHasPathSlash) {
  RequestHeadParser parser;
  ASSERT_TRUE(parser.parse("GET HTTPS://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n").complete());
  EXPECT_EQ(parser.head().path, "/");
  EXPECT_EQ(parser.head().authority, "example.com");
}

TEST(RequestHeadParser, ParsesAuthorityFormForConnect) {
  RequestHeadParser parser;
  ASSERT_TRUE(parser.parse("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n").complete());
  EXPECT_EQ(parser.head().target_form, TargetForm::Authority);
  EXPECT_EQ(parser.head().authority, "example.com:443");
  EXPECT_EQ(parser.head().path, "");
}

TEST(RequestHeadParser, ParsesAsteriskFormForOptions) {
  RequestHeadParser parser;
  ASSERT_TRUE(parser.parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").complete());
  EXPECT_EQ(parser.head().target_form, TargetForm::Asterisk);
  EXPECT_EQ(parser.head().path, "*");
}

TEST(RequestHeadParser, AcceptsIpv6LiteralHost) {
  EXPECT_EQ(parseRequest("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"), "Complete(36)");
}

// --- Framing (RFC 9112 §6) ---------------------------------------------------------------

TEST(RequestHeadParser, ContentLengthFramesTheBody) {
  RequestHeadParser parser;
  ASSERT_TRUE(parser.parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 42\r\n\r\n").complete());
  EXPECT_EQ(parser.head().framing, BodyFraming::ContentLength);
  EXPECT_EQ(parser.head().content_length, 42u);
  EXPECT_FALSE(parser.head().chunked);
}

TEST(RequestHeadParser, ChunkedFramesTheBody) {
  RequestHeadParser parser;
  ASSERT_TRUE(parser.parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n").complete());
  EXPECT_EQ(parser.head().framing, BodyFraming::Chunked);
  EXPECT_TRUE(parser.head().chunked);
  EXPECT_EQ(parser.head().content_length, std::nullopt);
}

TEST(RequestHeadParser, NoBodyWithoutContentLengthOrTransferEncoding) {
  RequestHeadParser parser;
  ASSERT_TRUE(parser.parse("POST / HTTP/1.1\r\nHost: h\r\n\r\n").complete());
  EXPECT_EQ(parser.head().framing, BodyFraming::None);
}

TEST(RequestHeadParser, AcceptsRepeatedIdenticalContentLength) {
  RequestHeadParser parser;
  ASSERT_TRUE(parser.parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\nContent-Length: 7, 7\r\n\r\n")
                  .complete());
  EXPECT_EQ(parser.head().content_length, 7u);
}

TEST(RequestHeadParser, AcceptsTheLargestContentLength) {
  RequestHeadParser parser;
  ASSERT_TRUE(parser.parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551615\r\n\r\n").complete());
  EXPECT_EQ(parser.head().content_length, 18446744073709551615u);
}

TEST(RequestHeadParser, KeepAliveByVersionAndConnection) {
  auto keep_alive = [](const std::string& input) {
    RequestHeadParser parser;
    EXPECT_TRUE(parser.parse(input).complete()) << input;
    return parser.head().keep_alive;
  };
  EXPECT_TRUE(keep_alive("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep_alive("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo\r\nConnection: close\r\n\r\n"));
}

TEST(RequestHeadParser, UpgradeNeedsTheFieldAndTheConnectionOption) {
  auto upgrade = [](const std::string& input) {
    RequestHeadParser parser;
    EXPECT_TRUE(parser.parse(input).complete()) << input;
    return parser.head().upgrade;
  };
  EXPECT_TRUE(upgrade("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n"));
  EXPECT_FALSE(upgrade("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n"));
  EXPECT_FALSE(upgrade("GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"));
}

TEST(RequestHeadParser, ExpectContinueOnlyForHttpOneOne) {
  auto expect = [](const std::string& input) {
    RequestHeadParser parser;
    EXPECT_TRUE(parser.parse(input).complete()) << input;
    return parser.head().expect_continue;
  };
  EXPECT_TRUE(expect("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n"));
  EXPECT_FALSE(expect("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n"));
  EXPECT_FALSE(expect("PUT / HTTP/1.1\r\nHost: h\r\nExpect: something\r\n\r\n"));
}

// --- Request smuggling and malformed heads: one vector per case ----------------------------

struct Rejection {
  const char* name;
  std::string input;
  std::string verdict;
};

class RequestRejection : public ::testing::TestWithParam<Rejection> {};

TEST_P(RequestRejection, IsRejectedWithExactStatusAndReason) {
  EXPECT_EQ(parseRequest(GetParam().input), GetParam().verdict);
}

TEST_P(RequestRejection, IsRejectedTheSameWayByteByByte) {
  EXPECT_TRUE(requestSameVerdictByteByByte(GetParam().input));
}

const std::string kHost = "Host: h\r\n";

INSTANTIATE_TEST_SUITE_P(
    Smuggling, RequestRejection,
    ::testing::Values(
        Rejection{"ContentLengthAndTransferEncoding",
                  "POST / HTTP/1.1\r\n" + kHost + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                  "Error(400, both Content-Length and Transfer-Encoding)"},
        Rejection{"TransferEncodingAndContentLength",
                  "POST / HTTP/1.1\r\n" + kHost + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
                  "Error(400, both Content-Length and Transfer-Encoding)"},
        Rejection{"UnknownCodingBeforeChunked",
                  "POST / HTTP/1.1\r\n" + kHost + "Transfer-Encoding: gzip, chunked\r\n\r\n",
                  "Error(501, unsupported transfer coding)"},
        Rejection{"UnknownCodingOnEarlierLine",
                  "POST / HTTP/1.1\r\n" + kHost + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
                  "Error(501, unsupported transfer coding)"},
        Rejection{"ChunkedNotFinal", "POST / HTTP/1.1\r\n" + kHost + "Transfer-Encoding: chunked, gzip\r\n\r\n",
                  "Error(400, chunked is not the final transfer coding)"},
        Rejection{"OnlyUnknownCoding", "POST / HTTP/1.1\r\n" + kHost + "Transfer-Encoding: identity\r\n\r\n",
                  "Error(400, chunked is not the final transfer coding)"},
        Rejection{"ChunkedWithParameter", "POST / HTTP/1.1\r\n" + kHost + "Transfer-Encoding: chunked;x=1\r\n\r\n",
                  "Error(400, chunked is not the final transfer coding)"},
        Rejection{"ChunkedWithTrailingGarbage", "POST / HTTP/1.1\r\n" + kHost + "Transfer-Encoding: chunkedx\r\n\r\n",
                  "Error(400, chunked is not the final transfer coding)"},
        Rejection{"EmptyTransferEncoding", "POST / HTTP/1.1\r\n" + kHost + "Transfer-Encoding: \r\n\r\n",
                  "Error(400, chunked is not the final transfer coding)"},
        Rejection{"ChunkedTwice",
                  "POST / HTTP/1.1\r\n" + kHost + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                  "Error(400, chunked applied more than once)"},
        Rejection{"TransferEncodingInHttp10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
                  "Error(400, Transfer-Encoding in HTTP/1.0 request)"},
        Rejection{"DifferingContentLengths",
                  "POST / HTTP/1.1\r\n" + kHost + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n",
                  "Error(400, invalid Content-Length)"},
        Rejection{"DifferingContentLengthList", "POST / HTTP/1.1\r\n" + kHost + "Content-Length: 5, 6\r\n\r\n",
                  "Error(400, invalid Content-Length)"},
        Rejection{"ContentLengthWithSign", "POST / HTTP/1.1\r\n" + kHost + "Content-Length: +5\r\n\r\n",
                  "Error(400, invalid Content-Length)"},
        Rejection{"NegativeContentLength", "POST / HTTP/1.1\r\n" + kHost + "Content-Length: -1\r\n\r\n",
                  "Error(400, invalid Content-Length)"},
        Rejection{"HexContentLength", "POST / HTTP/1.1\r\n" + kHost + "Content-Length: 0x5\r\n\r\n",
                  "Error(400, invalid Content-Length)"},
        Rejection{"ContentLengthWithInnerSpace", "POST / HTTP/1.1\r\n" + kHost + "Content-Length: 1 2\r\n\r\n",
                  "Error(400, invalid Content-Length)"},
        Rejection{"EmptyContentLength", "POST / HTTP/1.1\r\n" + kHost + "Content-Length: \r\n\r\n",
                  "Error(400, invalid Content-Length)"},
        Rejection{"OverflowingContentLength",
                  "POST / HTTP/1.1\r\n" + kHost + "Content-Length: 18446744073709551616\r\n\r\n",
                  "Error(400, invalid Content-Length)"},
        Rejection{"ObsFold", "GET / HTTP/1.1\r\n" + kHost + "X-A: a\r\n b\r\n\r\n",
                  "Error(400, obsolete line folding)"},
        Rejection{"ObsFoldWithTab", "GET / HTTP/1.1\r\n" + kHost + "X-A: a\r\n\tb\r\n\r\n",
                  "Error(400, obsolete line folding)"},
        Rejection{"WhitespaceAfterRequestLine", "GET / HTTP/1.1\r\n " + kHost + "\r\n",
                  "Error(400, obsolete line folding)"},
        Rejection{"BareLfEndsField", "GET / HTTP/1.1\r\nHost: h\nX-A: b\r\n\r\n", "Error(400, bare LF line ending)"},
        Rejection{"BareLfEndsRequestLine", "GET / HTTP/1.1\nHost: h\r\n\r\n", "Error(400, bare LF line ending)"},
        Rejection{"BareLfEndsHead", "GET / HTTP/1.1\r\nHost: h\r\n\n", "Error(400, bare LF line ending)"},
        Rejection{"BareCrInFieldValue", "GET / HTTP/1.1\r\n" + kHost + "X-A: a\rb\r\n\r\n",
                  "Error(400, invalid field value)"},
        Rejection{"BareCrInRequestLine", "GET /\r HTTP/1.1\r\n" + kHost + "\r\n", "Error(400, invalid request-target)"},
        Rejection{"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", "Error(400, whitespace before colon)"},
        Rejection{"TabBeforeColon", "GET / HTTP/1.1\r\n" + kHost + "Content-Length\t: 5\r\n\r\n",
                  "Error(400, whitespace before colon)"},
        Rejection{"InvalidNameByte", "GET / HTTP/1.1\r\n" + kHost + "X(A): b\r\n\r\n", "Error(400, invalid field name)"},
        Rejection{"EmptyFieldName", "GET / HTTP/1.1\r\n" + kHost + ": b\r\n\r\n", "Error(400, empty field name)"},
        Rejection{"FieldLineWithoutColon", "GET / HTTP/1.1\r\n" + kHost + "X-A\r\n\r\n",
                  "Error(400, field line without colon)"},
        Rejection{"ControlByteInValue", "GET / HTTP/1.1\r\n" + kHost + "X-A: a\x01\r\n\r\n",
                  "Error(400, invalid field value)"},
        Rejection{"DelInValue", "GET / HTTP/1.1\r\n" + kHost + "X-A: a\x7f\r\n\r\n", "Error(400, invalid field value)"},
        Rejection{"NulInValue", "GET / HTTP/1.1\r\n" + kHost + "X-A: a\0b\r\n\r\n"s, "Error(400, invalid field value)"},
        Rejection{"NulInName", "GET / HTTP/1.1\r\n" + kHost + "X\0A: b\r\n\r\n"s, "Error(400, invalid field name)"},
        Rejection{"NulInTarget", "GET /a\0b HTTP/1.1\r\n"s + kHost + "\r\n", "Error(400, invalid request-target)"},
        Rejection{"NulInMethod", "G\0T / HTTP/1.1\r\n"s + kHost + "\r\n", "Error(400, invalid method)"},
        Rejection{"DoubleSpaceInRequestLine", "GET  / HTTP/1.1\r\n" + kHost + "\r\n",
                  "Error(400, malformed request-line)"},
        Rejection{"TrailingSpaceInRequestLine", "GET / HTTP/1.1 \r\n" + kHost + "\r\n",
                  "Error(400, malformed HTTP version)"},
        Rejection{"LeadingSpaceInRequestLine", " GET / HTTP/1.1\r\n" + kHost + "\r\n", "Error(400, invalid method)"},
        Rejection{"TabSeparatedRequestLine", "GET\t/ HTTP/1.1\r\n" + kHost + "\r\n", "Error(400, invalid method)"},
        Rejection{"SpaceInTarget", "GET /a b HTTP/1.1\r\n" + kHost + "\r\n", "Error(400, malformed HTTP version)"},
        Rejection{"MissingVersion", "GET /\r\n" + kHost + "\r\n", "Error(400, malformed request-line)"},
        Rejection{"LowercaseVersion", "GET / http/1.1\r\n" + kHost + "\r\n", "Error(400, malformed HTTP version)"},
        Rejection{"ThreeDigitVersion", "GET / HTTP/1.10\r\n" + kHost + "\r\n", "Error(400, malformed HTTP version)"},
        Rejection{"Http2Version", "GET / HTTP/2.0\r\n" + kHost + "\r\n", "Error(505, HTTP version not supported)"},
        Rejection{"Http09Version", "GET / HTTP/0.9\r\n" + kHost + "\r\n", "Error(505, HTTP version not supported)"},
        Rejection{"Http12Version", "GET / HTTP/1.2\r\n" + kHost + "\r\n", "Error(505, HTTP version not supported)"},
        Rejection{"FragmentInTarget", "GET /a#b HTTP/1.1\r\n" + kHost + "\r\n", "Error(400, invalid request-target)"},
        Rejection{"BackslashInTarget", "GET /a\\..\\b HTTP/1.1\r\n" + kHost + "\r\n",
                  "Error(400, invalid request-target)"},
        Rejection{"TruncatedPercentEncoding", "GET /a%2 HTTP/1.1\r\n" + kHost + "\r\n",
                  "Error(400, invalid request-target)"},
        Rejection{"NonHexPercentEncoding", "GET /?a=%zz HTTP/1.1\r\n" + kHost + "\r\n",
                  "Error(400, invalid request-target)"},
        Rejection{"ObsTextInTarget", "GET /caf\xc3\xa9 HTTP/1.1\r\n" + kHost + "\r\n",
                  "Error(400, invalid request-target)"},
        Rejection{"RelativeTarget", "GET a/b HTTP/1.1\r\n" + kHost + "\r\n", "Error(400, invalid request-target)"},
        Rejection{"AsteriskOutsideOptions", "GET * HTTP/1.1\r\n" + kHost + "\r\n",
                  "Error(400, asterisk-form target outside OPTIONS)"},
        Rejection{"AuthorityFormOutsideConnect", "GET example.com:443 HTTP/1.1\r\n" + kHost + "\r\n",
                  "Error(400, invalid request-target)"},
        Rejection{"ConnectWithOriginForm", "CONNECT / HTTP/1.1\r\n" + kHost + "\r\n",
                  "Error(400, invalid authority-form target)"},
        Rejection{"ConnectWithoutPort", "CONNECT example.com HTTP/1.1\r\n" + kHost + "\r\n",
                  "Error(400, invalid authority-form target)"},
        Rejection{"ConnectWithPortOutOfRange", "CONNECT example.com:65536 HTTP/1.1\r\n" + kHost + "\r\n",
                  "Error(400, invalid authority-form target)"},
        Rejection{"AbsoluteFormWithUserinfo", "GET http://user@example.com/ HTTP/1.1\r\n" + kHost + "\r\n",
                  "Error(400, invalid authority in absolute-form target)"},
        Rejection{"AbsoluteFormWithOtherScheme", "GET ftp://example.com/ HTTP/1.1\r\n" + kHost + "\r\n",
                  "Error(400, invalid request-target)"},
        Rejection{"AbsoluteFormWithoutAuthority", "GET http:///a HTTP/1.1\r\n" + kHost + "\r\n",
                  "Error(400, invalid authority in absolute-form target)"},
        Rejection{"MissingHost", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n", "Error(400, missing Host field)"},
        Rejection{"TwoHosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", "Error(400, multiple Host fields)"},
        Rejection{"HostWithSpace", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "Error(400, invalid Host field)"},
        Rejection{"HostWithUserinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", "Error(400, invalid Host field)"},
        Rejection{"HostWithPath", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", "Error(400, invalid Host field)"},
        Rejection{"TlsClientHello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "Error(400, invalid method)"}),
    [](const ::testing::TestParamInfo<Rejection>& info) { return std::string(info.param.name); });

TEST(RequestHeadParser, RefusesNonHttpOnTheFirstByte) {
  EXPECT_EQ(parseRequest("\x16"), "Error(400, invalid method)");
}

// --- Limits ------------------------------------------------------------------------------

TEST(RequestHeadParser, DefaultLimits) {
  const HeadLimits limits;
  EXPECT_EQ(limits.max_head_bytes, 65536u);
  EXPECT_EQ(limits.max_header_count, 100u);
  EXPECT_EQ(limits.max_start_line_bytes, 8192u);
}

TEST(RequestHeadParser, AcceptsAHeadOfExactlyTheLimit) {
  const std::string input = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(parseRequest(input, HeadLimits{.max_head_bytes = input.size()}), "Complete(27)");
}

TEST(RequestHeadParser, RejectsAHeadOneByteOverTheLimitWith431) {
  const std::string input = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(parseRequest(input, HeadLimits{.max_head_bytes = input.size() - 1}), "Error(431, head too large)");
}

TEST(RequestHeadParser, RejectsAnOversizedHeadBeforeItsEnd) {
  const std::string input = "GET / HTTP/1.1\r\nHost: h\r\nX-A: " + std::string(100, 'a');
  EXPECT_EQ(parseRequest(input, HeadLimits{.max_head_bytes = 64}), "Error(431, head too large)");
}

TEST(RequestHeadParser, RejectsAHeadOverTheDefault64KiBWith431) {
  std::string input = "GET / HTTP/1.1\r\nHost: h\r\n";
  while (input.size() < 64 * 1024) input += "X-Filler: " + std::string(1000, 'f') + "\r\n";
  EXPECT_EQ(parseRequest(input + "\r\n"), "Error(431, head too large)");
}

TEST(RequestHeadParser, AcceptsExactlyTheMaximumFieldCount) {
  std::string input = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 1; i < 100; ++i) input += "X: y\r\n";
  RequestHeadParser parser;
  ASSERT_TRUE(parser.parse(input + "\r\n").complete());
  EXPECT_EQ(parser.head().headers.size(), 100u);
}

TEST(RequestHeadParser, RejectsOneFieldOverTheMaximumWith431) {
  std::string input = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 100; ++i) input += "X: y\r\n";
  EXPECT_EQ(parseRequest(input + "\r\n"), "Error(431, too many header fields)");
}

TEST(RequestHeadParser, AcceptsARequestLineOfExactlyTheLimit) {
  const std::string line = "GET /" + std::string(8192 - 14, 'a') + " HTTP/1.1";
  ASSERT_EQ(line.size(), 8192u);
  EXPECT_EQ(parseRequest(line + "\r\nHost: h\r\n\r\n"), "Complete(" + std::to_string(line.size() + 13) + ")");
}

TEST(RequestHeadParser, RejectsARequestLineOverTheLimitWith414) {
  const std::string line = "GET /" + std::string(8192 - 13, 'a') + " HTTP/1.1";
  EXPECT_EQ(parseRequest(line + "\r\nHost: h\r\n\r\n"), "Error(414, request-line too long)");
}

TEST(RequestHeadParser, RejectsALongRequestLineBeforeItsEnd) {
  EXPECT_EQ(parseRequest("GET /" + std::string(9000, 'a')), "Error(414, request-line too long)");
}

TEST(RequestHeadParser, LimitsApplyTheSameWayByteByByte) {
  const HeadLimits small{.max_head_bytes = 60, .max_header_count = 2, .max_start_line_bytes = 20};
  EXPECT_TRUE(requestSameVerdictByteByByte("GET /" + std::string(30, 'a') + " HTTP/1.1\r\n\r\n", small));
  EXPECT_TRUE(requestSameVerdictByteByByte("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(60, 'b') + "\r\n\r\n", small));
  EXPECT_TRUE(requestSameVerdictByteByByte("GET / HTTP/1.1\r\nHost: h\r\nA: b\r\nC: d\r\n\r\n", small));
  EXPECT_TRUE(requestSameVerdictByteByByte("GET /" + std::string(30, 'a') + "\0 HTTP/1.1\r\n\r\n"s, small));
}

// Found by fuzzing: the early method check saw a bad byte beyond the line limit when fed whole.
TEST(RequestHeadParser, AMethodLongerThanTheLineLimitIs414FedWholeOrByteByByte) {
  const HeadLimits small{.max_start_line_bytes = 20};
  const std::string input = std::string(30, 'P') + "\xac / HTTP/1.1";
  EXPECT_EQ(parseRequest(input, small), "Error(414, request-line too long)");
  EXPECT_TRUE(requestSameVerdictByteByByte(input, small));
}

// --- Incremental feeding -----------------------------------------------------------------

TEST(RequestHeadParser, ValidRequestsGiveTheSameHeadByteByByte) {
  for (const std::string& input : {
           "GET /search?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"s,
           "\r\nPOST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"s,
           "GET http://example.com/x HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.1\r\n"s,
           "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"s,
       })
    EXPECT_TRUE(requestSameVerdictByteByByte(input)) << input;
}

// --- Responses ---------------------------------------------------------------------------

std::string parseResponse(std::string_view input, std::string_view request_method = "GET") {
  ResponseHeadParser parser(request_method);
  const ParseResult r = parser.parse(input);
  return r.complete() ? describe(r) + " " + describe(parser.head()) : describe(r);
}

TEST(ResponseHeadParser, ParsesContentLengthResponse) {
  EXPECT_EQ(parseResponse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"),
            "Complete(38) minor=1 status=200 reason=OK framing=1 cl=3 chunked=0 keep_alive=1 interim=0 tunnel=0 "
            "{Content-Length:3}");
}

TEST(ResponseHeadParser, ParsesChunkedResponse) {
  EXPECT_EQ(parseResponse("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"),
            "Complete(52) minor=1 status=201 reason=Created framing=2 cl=- chunked=1 keep_alive=1 interim=0 tunnel=0 "
            "{Transfer-Encoding:chunked}");
}

TEST(ResponseHeadParser, ReadsUntilCloseWithoutLength) {
  EXPECT_EQ(parseResponse("HTTP/1.1 200 OK\r\n\r\n"),
            "Complete(19) minor=1 status=200 reason=OK framing=3 cl=- chunked=0 keep_alive=0 interim=0 tunnel=0");
}

TEST(ResponseHeadParser, ReadsUntilCloseWhenChunkedIsNotFinal) {
  EXPECT_EQ(parseResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
            "Complete(53) minor=1 status=200 reason=OK framing=3 cl=- chunked=0 keep_alive=0 interim=0 tunnel=0 "
            "{Transfer-Encoding:chunked, gzip}");
}

TEST(ResponseHeadParser, AcceptsOtherCodingsBeforeFinalChunked) {
  EXPECT_EQ(parseResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            "Complete(53) minor=1 status=200 reason=OK framing=2 cl=- chunked=1 keep_alive=1 interim=0 tunnel=0 "
            "{Transfer-Encoding:gzip, chunked}");
}

TEST(ResponseHeadParser, NoBodyFor204) {
  EXPECT_EQ(parseResponse("HTTP/1.1 204 No Content\r\n\r\n"),
            "Complete(27) minor=1 status=204 reason=No Content framing=0 cl=- chunked=0 keep_alive=1 interim=0 "
            "tunnel=0");
}

TEST(ResponseHeadParser, NoBodyFor304EvenWithContentLength) {
  EXPECT_EQ(parseResponse("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"),
            "Complete(49) minor=1 status=304 reason=Not Modified framing=0 cl=10 chunked=0 keep_alive=1 interim=0 "
            "tunnel=0 {Content-Length:10}");
}

TEST(ResponseHeadParser, NoBodyForHeadRequest) {
  EXPECT_EQ(parseResponse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "HEAD"),
            "Complete(39) minor=1 status=200 reason=OK framing=0 cl=10 chunked=0 keep_alive=1 interim=0 tunnel=0 "
            "{Content-Length:10}");
}

TEST(ResponseHeadParser, ContinueIsInterim) {
  EXPECT_EQ(parseResponse("HTTP/1.1 100 Continue\r\n\r\n"),
            "Complete(25) minor=1 status=100 reason=Continue framing=0 cl=- chunked=0 keep_alive=1 interim=1 tunnel=0");
}

TEST(ResponseHeadParser, SwitchingProtocolsBecomesATunnel) {
  EXPECT_EQ(parseResponse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
            "Complete(77) minor=1 status=101 reason=Switching Protocols framing=0 cl=- chunked=0 keep_alive=1 "
            "interim=0 tunnel=1 {Upgrade:websocket} {Connection:Upgrade}");
}

TEST(ResponseHeadParser, SuccessfulConnectBecomesATunnel) {
  EXPECT_EQ(parseResponse("HTTP/1.1 200 Connection established\r\n\r\n", "CONNECT"),
            "Complete(39) minor=1 status=200 reason=Connection established framing=0 cl=- chunked=0 keep_alive=1 "
            "interim=0 tunnel=1");
}

TEST(ResponseHeadParser, FailedConnectHasABody) {
  EXPECT_EQ(parseResponse("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", "CONNECT"),
            "Complete(45) minor=1 status=403 reason=Forbidden framing=1 cl=0 chunked=0 keep_alive=1 interim=0 "
            "tunnel=0 {Content-Length:0}");
}

TEST(ResponseHeadParser, HttpOneZeroKeepsAliveOnlyWhenAsked) {
  EXPECT_EQ(parseResponse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"),
            "Complete(38) minor=0 status=200 reason=OK framing=1 cl=0 chunked=0 keep_alive=0 interim=0 tunnel=0 "
            "{Content-Length:0}");
  EXPECT_EQ(parseResponse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"),
            "Complete(62) minor=0 status=200 reason=OK framing=1 cl=0 chunked=0 keep_alive=1 interim=0 tunnel=0 "
            "{Content-Length:0} {Connection:keep-alive}");
}

TEST(ResponseHeadParser, AcceptsAnEmptyReasonWithOrWithoutItsSpace) {
  EXPECT_EQ(parseResponse("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n"),
            "Complete(36) minor=1 status=200 reason= framing=1 cl=0 chunked=0 keep_alive=1 interim=0 tunnel=0 "
            "{Content-Length:0}");
  EXPECT_EQ(parseResponse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"),
            "Complete(35) minor=1 status=200 reason= framing=1 cl=0 chunked=0 keep_alive=1 interim=0 tunnel=0 "
            "{Content-Length:0}");
}

TEST(ResponseHeadParser, ConsumedStopsAtTheHeadEnd) {
  ResponseHeadParser parser("GET");
  EXPECT_EQ(describe(parser.parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1")), "Complete(38)");
}

class ResponseRejection : public ::testing::TestWithParam<Rejection> {};

TEST_P(ResponseRejection, IsRejectedWith502AndExactReason) {
  EXPECT_EQ(parseResponse(GetParam().input), GetParam().verdict);
}

TEST_P(ResponseRejection, IsRejectedTheSameWayByteByByte) {
  EXPECT_TRUE(sameVerdictByteByByte<ResponseHeadParser>(GetParam().input, [] { return ResponseHeadParser("GET"); }));
}

INSTANTIATE_TEST_SUITE_P(
    Splitting, ResponseRejection,
    ::testing::Values(
        Rejection{"ContentLengthAndTransferEncoding",
                  "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                  "Error(502, both Content-Length and Transfer-Encoding)"},
        Rejection{"DifferingContentLengths", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\n",
                  "Error(502, invalid Content-Length)"},
        Rejection{"InvalidContentLengthOn304", "HTTP/1.1 304 Not Modified\r\nContent-Length: x\r\n\r\n",
                  "Error(502, invalid Content-Length)"},
        Rejection{"ChunkedTwice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
                  "Error(502, chunked applied more than once)"},
        Rejection{"TransferEncodingIn204", "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n",
                  "Error(502, Transfer-Encoding in 1xx or 204 response)"},
        Rejection{"TransferEncodingIn100", "HTTP/1.1 100 Continue\r\nTransfer-Encoding: chunked\r\n\r\n",
                  "Error(502, Transfer-Encoding in 1xx or 204 response)"},
        Rejection{"TransferEncodingInHttp10", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                  "Error(502, Transfer-Encoding in HTTP/1.0 response)"},
        Rejection{"ObsFold", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n",
                  "Error(502, obsolete line folding)"},
        Rejection{"BareLf", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", "Error(502, bare LF line ending)"},
        Rejection{"SpaceBeforeColon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n",
                  "Error(502, whitespace before colon)"},
        Rejection{"NulInValue", "HTTP/1.1 200 OK\r\nX-A: \0\r\n\r\n"s, "Error(502, invalid field value)"},
        Rejection{"ControlByteInReason", "HTTP/1.1 200 O\x01K\r\n\r\n", "Error(502, invalid reason-phrase)"},
        Rejection{"TwoDigitStatus", "HTTP/1.1 20 OK\r\n\r\n", "Error(502, malformed status-line)"},
        Rejection{"FourDigitStatus", "HTTP/1.1 2000 OK\r\n\r\n", "Error(502, malformed status-line)"},
        Rejection{"NonDigitStatus", "HTTP/1.1 2x0 OK\r\n\r\n", "Error(502, malformed status code)"},
        Rejection{"StatusBelow100", "HTTP/1.1 099 Odd\r\n\r\n", "Error(502, status code out of range)"},
        Rejection{"StatusAbove599", "HTTP/1.1 600 Odd\r\n\r\n", "Error(502, status code out of range)"},
        Rejection{"Http2Version", "HTTP/2.0 200 OK\r\n\r\n", "Error(502, HTTP version not supported)"},
        Rejection{"NotHttp", "ICY 200 OK\r\n\r\n", "Error(502, malformed status-line)"},
        Rejection{"HeadTooLarge", "HTTP/1.1 200 OK\r\nX: " + std::string(70000, 'x') + "\r\n\r\n",
                  "Error(502, head too large)"}),
    [](const ::testing::TestParamInfo<Rejection>& info) { return std::string(info.param.name); });

TEST(ResponseHeadParser, ValidResponsesGiveTheSameHeadByteByByte) {
  for (const std::string& input : {
           "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nServer: x\r\n\r\nabc"s,
           "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"s,
           "HTTP/1.0 404 Not Found\r\n\r\n"s,
       })
    EXPECT_TRUE(sameVerdictByteByByte<ResponseHeadParser>(input, [] { return ResponseHeadParser("GET"); })) << input;
}

TEST(ResponseHeadParser, ResetChangesTheRequestMethod) {
  ResponseHeadParser parser("HEAD");
  const std::string input = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n";
  ASSERT_TRUE(parser.parse(input).complete());
  EXPECT_EQ(parser.head().framing, BodyFraming::None);
  parser.reset("GET");
  ASSERT_TRUE(parser.parse(input).complete());
  EXPECT_EQ(parser.head().framing, BodyFraming::ContentLength);
}

// --- Helpers -----------------------------------------------------------------------------

TEST(ListContainsToken, MatchesTrimmedElementsIgnoringCase) {
  EXPECT_TRUE(listContainsToken("keep-alive , Upgrade", "upgrade"));
  EXPECT_TRUE(listContainsToken(",,close", "close"));
  EXPECT_FALSE(listContainsToken("closed", "close"));
  EXPECT_FALSE(listContainsToken("", "close"));
}

}  // namespace
}  // namespace gatehouse::http
