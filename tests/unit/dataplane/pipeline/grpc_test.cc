// gRPC in the request pipeline: which requests are gRPC, the status each failure becomes, the
// trailers-only answer, and grpc-timeout parsing.
#include "dataplane/pipeline/grpc.h"

#include <gtest/gtest.h>

namespace gatehouse::dataplane {
namespace {

http::Request withContentType(const char* type) {
  http::Request request;
  request.headers.add("Content-Type", type);
  return request;
}

TEST(Grpc, ContentTypeSaysWhetherARequestIsGrpc) {
  EXPECT_TRUE(isGrpcRequest(withContentType("application/grpc")));
  EXPECT_TRUE(isGrpcRequest(withContentType("application/grpc+proto")));
  EXPECT_TRUE(isGrpcRequest(withContentType("Application/GRPC;charset=utf-8")));
  EXPECT_FALSE(isGrpcRequest(withContentType("application/grpc-web")));
  EXPECT_FALSE(isGrpcRequest(withContentType("application/json")));
  EXPECT_FALSE(isGrpcRequest(http::Request{}));
}

TEST(Grpc, FailuresMapToTheStatusesAGatewayAnswersWith) {
  EXPECT_EQ(grpcStatusFor(ProxyError::of(ErrorKind::NoRoute)), GrpcStatus::Unimplemented);
  EXPECT_EQ(grpcStatusFor(ProxyError::of(ErrorKind::NoListener)), GrpcStatus::Unimplemented);
  EXPECT_EQ(grpcStatusFor(ProxyError::of(ErrorKind::NoEndpoint)), GrpcStatus::Unavailable);
  EXPECT_EQ(grpcStatusFor(ProxyError::of(ErrorKind::InvalidBackend)), GrpcStatus::Unavailable);
  EXPECT_EQ(grpcStatusFor(ProxyError::of(ErrorKind::ConnectFailed)), GrpcStatus::Unavailable);
  EXPECT_EQ(grpcStatusFor(ProxyError::of(ErrorKind::TimedOut)), GrpcStatus::DeadlineExceeded);
  EXPECT_EQ(grpcStatusFor(ProxyError::of(ErrorKind::RequestTooLarge)), GrpcStatus::ResourceExhausted);
  EXPECT_EQ(grpcStatusFor(ProxyError::of(ErrorKind::InvalidPath)), GrpcStatus::Internal);
}

TEST(Grpc, LocalAnswerIsTrailersOnly) {
  const http::Response answer = grpcLocalResponse(ProxyError::of(ErrorKind::NoRoute));
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(*answer.headers.find("content-type"), "application/grpc");
  EXPECT_EQ(*answer.headers.find("grpc-status"), "12");
  EXPECT_EQ(*answer.headers.find("grpc-message"), "gateway: no_route");
  EXPECT_TRUE(answer.body.empty());
}

TEST(Grpc, TimeoutUnitsAndMalformedValues) {
  using namespace std::chrono;
  EXPECT_EQ(parseGrpcTimeout("1H"), hours(1));
  EXPECT_EQ(parseGrpcTimeout("2M"), minutes(2));
  EXPECT_EQ(parseGrpcTimeout("3S"), seconds(3));
  EXPECT_EQ(parseGrpcTimeout("250m"), milliseconds(250));
  EXPECT_EQ(parseGrpcTimeout("7u"), microseconds(7));
  EXPECT_EQ(parseGrpcTimeout("99999999n"), nanoseconds(99999999));
  EXPECT_EQ(parseGrpcTimeout("99999999H"), nanoseconds::max());  // saturates instead of overflowing
  EXPECT_EQ(parseGrpcTimeout("100000000S"), std::nullopt);        // more than 8 digits
  EXPECT_EQ(parseGrpcTimeout("S"), std::nullopt);
  EXPECT_EQ(parseGrpcTimeout("10x"), std::nullopt);
  EXPECT_EQ(parseGrpcTimeout("-1S"), std::nullopt);
}

}  // namespace
}  // namespace gatehouse::dataplane
