// RespParser and encodeCommand: every RESP2 type, replies split at every byte boundary, several
// replies in one read, and exact errors for what is not RESP2 or goes past a bound.
#include "dataplane/policies/redis/resp.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gatehouse::dataplane::redis {
namespace {

using Type = RespValue::Type;
using Status = RespParser::Status;

RespValue simple(std::string text) { return {Type::SimpleString, std::move(text), 0, {}}; }
RespValue error(std::string text) { return {Type::Error, std::move(text), 0, {}}; }
RespValue integer(int64_t n) { return {Type::Integer, "", n, {}}; }
RespValue bulk(std::string text) { return {Type::BulkString, std::move(text), 0, {}}; }
RespValue nil() { return {Type::Nil, "", 0, {}}; }
RespValue array(std::vector<RespValue> elements) { return {Type::Array, "", 0, std::move(elements)}; }

// Every value `bytes` holds, fed in one piece.
std::vector<RespValue> parseAll(std::string_view bytes, Status& last, RespLimits limits = {}) {
  RespParser parser(limits);
  parser.feed(bytes);
  std::vector<RespValue> out;
  RespValue v;
  while ((last = parser.next(v)) == Status::Value) out.push_back(v);
  return out;
}

// The error of the first invalid reply in `bytes`.
std::string errorOf(std::string_view bytes, RespLimits limits = {}) {
  RespParser parser(limits);
  parser.feed(bytes);
  RespValue v;
  Status status;
  while ((status = parser.next(v)) == Status::Value) {
  }
  EXPECT_EQ(status, Status::Invalid) << bytes;
  return parser.error();
}

TEST(Resp, EncodesACommandAsAnArrayOfBulkStrings) {
  EXPECT_EQ(encodeCommand({"GET", "k"}), "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
  EXPECT_EQ(encodeCommand({"SET", "", std::string_view("a\r\nb\0", 5)}),
            std::string("*3\r\n$3\r\nSET\r\n$0\r\n\r\n$5\r\na\r\nb\0\r\n", 30));
}

TEST(Resp, ParsesEveryType) {
  Status last;
  const auto values = parseAll(
      "+OK\r\n-NOSCRIPT No matching script\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n"
      "*2\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n",
      last);
  EXPECT_EQ(last, Status::NeedMore);
  const std::vector<RespValue> want = {simple("OK"),     error("NOSCRIPT No matching script"),
                                       integer(42),      integer(-7),
                                       bulk("hello"),    bulk(""),
                                       nil(),            nil(),
                                       array({}),        array({integer(1), array({bulk("a"), nil()})})};
  EXPECT_EQ(values, want);
  EXPECT_TRUE(values[1].isError());
}

TEST(Resp, BulkStringsAreBinarySafe) {
  Status last;
  const auto values = parseAll(std::string("$4\r\n\r\n\0\xff\r\n", 10), last);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values[0], bulk(std::string("\r\n\0\xff", 4)));
}

TEST(Resp, AReplySplitAtEveryByteBoundaryParsesTheSame) {
  const std::string reply = "*4\r\n:1\r\n:3\r\n$5\r\nab\r\nc\r\n*1\r\n-ERR x\r\n+PONG\r\n";
  const std::vector<RespValue> want = {array({integer(1), integer(3), bulk("ab\r\nc"), array({error("ERR x")})}),
                                       simple("PONG")};
  for (size_t cut = 0; cut <= reply.size(); ++cut) {
    for (size_t second = cut; second <= reply.size(); ++second) {
      RespParser parser;
      std::vector<RespValue> got;
      RespValue v;
      for (std::string_view piece : {std::string_view(reply).substr(0, cut),
                                     std::string_view(reply).substr(cut, second - cut),
                                     std::string_view(reply).substr(second)}) {
        parser.feed(piece);
        Status status;
        while ((status = parser.next(v)) == Status::Value) got.push_back(v);
        ASSERT_EQ(status, Status::NeedMore) << cut << "/" << second << ": " << parser.error();
      }
      EXPECT_EQ(got, want) << cut << "/" << second;
    }
  }
}

TEST(Resp, NeedsMoreUntilTheWholeReplyIsThere) {
  RespParser parser;
  RespValue v;
  parser.feed("*2\r\n$3\r\nfoo\r\n");
  EXPECT_EQ(parser.next(v), Status::NeedMore);
  parser.feed(":9\r");
  EXPECT_EQ(parser.next(v), Status::NeedMore);
  parser.feed("\n");
  ASSERT_EQ(parser.next(v), Status::Value);
  EXPECT_EQ(v, array({bulk("foo"), integer(9)}));
  EXPECT_EQ(parser.next(v), Status::NeedMore);
}

TEST(Resp, RejectsWhatIsNotResp2WithTheReason) {
  EXPECT_EQ(errorOf("!oops\r\n"), "unknown reply type byte 33");
  EXPECT_EQ(errorOf(":12a\r\n"), "not an integer: \"12a\"");
  EXPECT_EQ(errorOf(":\r\n"), "not an integer: \"\"");
  EXPECT_EQ(errorOf(":+5\r\n"), "not an integer: \"+5\"");
  EXPECT_EQ(errorOf(":99999999999999999999\r\n"), "not an integer: \"99999999999999999999\"");
  EXPECT_EQ(errorOf("$3\r\nabcd\r\n"), "bulk string not ended by CRLF");
  EXPECT_EQ(errorOf("$-2\r\n"), "bulk string length -2 out of range 0..65536");
  EXPECT_EQ(errorOf("*-5\r\n"), "array of -5 elements, out of range 0..1024");
  EXPECT_EQ(errorOf("+a\rb\r\n"), "a bare CR or LF inside a line");
  EXPECT_EQ(errorOf("+a\nb\r\n"), "a bare CR or LF inside a line");
}

TEST(Resp, RejectsOversizedLengthsBeforeWaitingForTheirBytes) {
  // A length past the bound is refused at once: nothing is allocated or awaited for it.
  EXPECT_EQ(errorOf("$9223372036854775807\r\n"), "bulk string length 9223372036854775807 out of range 0..65536");
  EXPECT_EQ(errorOf("$65537\r\n"), "bulk string length 65537 out of range 0..65536");
  EXPECT_EQ(errorOf("*1025\r\n"), "array of 1025 elements, out of range 0..1024");
  EXPECT_EQ(errorOf("*2147483648\r\n"), "array of 2147483648 elements, out of range 0..1024");
  RespLimits small;
  small.max_line = 8;
  EXPECT_EQ(errorOf("+123456789\r\n", small), "a line longer than 8 bytes");
  EXPECT_EQ(errorOf("+1234567890", small), "a line longer than 8 bytes");  // no CRLF yet, already too long
}

TEST(Resp, BoundsNestingDepthAndBufferedBytes) {
  EXPECT_EQ(errorOf("*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n"), "arrays nested deeper than 4");
  Status last;
  EXPECT_EQ(parseAll("*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", last).size(), 1u);  // depth 4 is fine
  RespLimits small;
  small.max_buffered = 16;
  RespParser parser(small);
  parser.feed("*3\r\n$8\r\n12345678\r\n$8\r\n1");
  RespValue v;
  EXPECT_EQ(parser.next(v), Status::Invalid);
  EXPECT_EQ(parser.error(), "a reply longer than 16 bytes");
}

TEST(Resp, StaysInvalidOnceInvalid) {
  RespParser parser;
  RespValue v;
  parser.feed("?\r\n+OK\r\n");
  EXPECT_EQ(parser.next(v), Status::Invalid);
  parser.feed("+OK\r\n");
  EXPECT_EQ(parser.next(v), Status::Invalid);
}

}  // namespace
}  // namespace gatehouse::dataplane::redis
