// The HTTP/1.1 request heads written upstream (serializeH1Head, serializeH1HeadFields): request
// line, Host, the fields in order without the connection-specific ones, then the framing.
#include "dataplane/upstream/exchange.h"

#include <gtest/gtest.h>

namespace gatehouse::dataplane::upstream {
namespace {

BufferedRequest sample() {
  BufferedRequest request;
  request.method = "POST";
  request.authority = "example.com:8080";
  request.path = "/upload?x=1";
  request.headers.add("User-Agent", "test/1.0");
  request.headers.add("Connection", "keep-alive");
  request.headers.add("x-forwarded-for", "192.0.2.1");
  request.headers.add("Transfer-Encoding", "chunked");
  request.headers.add("x-empty", "");
  return request;
}

TEST(SerializeH1HeadTest, FieldsWithoutFramingOrBlankLine) {
  EXPECT_EQ(serializeH1HeadFields(sample()),
            "POST /upload?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: test/1.0\r\n"
            "x-forwarded-for: 192.0.2.1\r\nx-empty: \r\n");
}

TEST(SerializeH1HeadTest, WholeHeadWithContentLengthOfTheBody) {
  BufferedRequest request = sample();
  request.body = "hello";
  EXPECT_EQ(serializeH1Head(request),
            "POST /upload?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: test/1.0\r\n"
            "x-forwarded-for: 192.0.2.1\r\nx-empty: \r\nContent-Length: 5\r\n\r\n");
}

TEST(SerializeH1HeadTest, NoFieldsNoBody) {
  BufferedRequest request;
  request.method = "GET";
  request.authority = "a";
  request.path = "/";
  EXPECT_EQ(serializeH1Head(request), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
}

}  // namespace
}  // namespace gatehouse::dataplane::upstream
