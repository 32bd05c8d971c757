// The request phases before the exchange (runRequestPhases), on a worker whose loop is not
// running: routing, local answers and their errors, path normalisation settings, deadlines.
#include "dataplane/pipeline/pipeline.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "../loopback.h"
#include "run_phases.h"
#include "dataplane/event/worker.h"

namespace gatehouse::testing {
namespace {

using dataplane::ErrorKind;
using dataplane::ErrorSide;
using dataplane::EscapedSlashes;
using dataplane::ProxyError;
using dataplane::Outcome;
using dataplane::RequestContext;

constexpr uint32_t kNoEndpoints = 0;
constexpr uint32_t kPublic = 1;
constexpr uint32_t kAdmin = 2;

class PipelineTest : public ::testing::Test {
 protected:
  void serve(EscapedSlashes escaped_slashes = EscapedSlashes::Reject) {
    dataplane::Options options;
    options.escaped_slashes = escaped_slashes;
    worker_ = std::make_unique<dataplane::Worker>(0, options);
    TableBuilder t;
    t.rule(kPublic, {M().prefix("/public")});
    const uint32_t admin = t.rule(kAdmin, {M().prefix("/admin")});
    t.rule(kNoEndpoints, {M().prefix("/empty")});
    snapshot::RequestRedirect redirect;
    redirect.status_code = 301;
    redirect.hostname = "elsewhere.example";
    t.ruleWithoutBackends({M().prefix("/moved")}, {redirect});
    t.ruleWithoutBackends({M().prefix("/nobackend")}, {});
    snapshot::RouteTable table = t.build();
    table.rules[admin].request_timeout_ms = 250;
    socket_ = socketWith(std::move(table));
    auto generation = std::make_shared<dataplane::Generation>();
    generation->snapshot = snapshotWith({socket_}, {clusterOf("ns/empty:80", {}), clusterOf("ns/public:80", {{"10.0.0.1", 8080}}),
                                                   clusterOf("ns/admin:80", {{"10.0.0.2", 8080}})});
    generation->sockets.emplace(socket_.identity(), dataplane::SocketConfig{&generation->snapshot->sockets[0], nullptr});
    worker_->setGeneration(generation);
  }

  // Runs the phases for GET `path`; the answer when the request ends at the gateway.
  std::optional<http::Response> run(std::string path) {
    ctx_.reset();
    ctx_.request = request(std::move(path));
    ctx_.started = dataplane::Clock::now();
    return runPhases(*worker_, socket_.identity(), ctx_);
  }

  // The same for a gRPC request (content-type application/grpc), with its grpc-timeout if any.
  std::optional<http::Response> runGrpc(std::string path, const char* grpc_timeout = nullptr) {
    ctx_.reset();
    ctx_.request = request(std::move(path));
    ctx_.request.headers.add("content-type", "application/grpc");
    if (grpc_timeout != nullptr) ctx_.request.headers.add("grpc-timeout", grpc_timeout);
    ctx_.started = dataplane::Clock::now();
    return runPhases(*worker_, socket_.identity(), ctx_);
  }

  std::unique_ptr<dataplane::Worker> worker_;
  snapshot::Socket socket_;
  RequestContext ctx_;
};

TEST_F(PipelineTest, ForwardedRequestHasItsRuleClusterAndEndpoint) {
  serve();
  EXPECT_EQ(run("/public/index.html"), std::nullopt);
  ASSERT_NE(ctx_.endpoint, nullptr);
  EXPECT_EQ(ctx_.endpoint->ip, "10.0.0.1");
  EXPECT_EQ(ctx_.cluster->name, "ns/public:80");
  EXPECT_EQ(ctx_.error, std::nullopt);
  EXPECT_NE(ctx_.generation, nullptr);
}

TEST_F(PipelineTest, RuleTimeoutBecomesTheDeadline) {
  serve();
  EXPECT_EQ(run("/admin/x"), std::nullopt);
  ASSERT_TRUE(ctx_.deadline.has_value());
  EXPECT_EQ(*ctx_.deadline, ctx_.started + std::chrono::milliseconds(250));
}

TEST_F(PipelineTest, UnmatchedPathIs404NoRoute) {
  serve();
  std::optional<http::Response> answer = run("/other");
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 404);
  EXPECT_EQ(answer->body, "Not Found\n");
  EXPECT_EQ(ctx_.error, ProxyError::of(ErrorKind::NoRoute));
}

TEST_F(PipelineTest, BackendWithoutEndpointsIs503NoEndpoint) {
  serve();
  EXPECT_EQ(run("/empty")->status, 503);
  EXPECT_EQ(ctx_.error->kind, ErrorKind::NoEndpoint);
}

TEST_F(PipelineTest, RuleWithoutBackendIs500InvalidBackend) {
  serve();
  EXPECT_EQ(run("/nobackend")->status, 500);
  EXPECT_EQ(ctx_.error->kind, ErrorKind::InvalidBackend);
}

TEST_F(PipelineTest, RedirectAnswersWithoutError) {
  serve();
  std::optional<http::Response> answer = run("/moved/x");
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 301);
  EXPECT_EQ(*answer->headers.find("Location"), "http://elsewhere.example/moved/x");
  EXPECT_EQ(ctx_.error, std::nullopt);
}

TEST_F(PipelineTest, UnnormalisablePathIs400InvalidPath) {
  serve();
  EXPECT_EQ(run("/public/a%zz")->status, 400);
  EXPECT_EQ(ctx_.error, ProxyError::of(ErrorKind::InvalidPath));
}

TEST_F(PipelineTest, PathIsRoutedAndForwardedNormalised) {
  serve();
  EXPECT_EQ(run("/public/../admin//x"), std::nullopt);
  EXPECT_EQ(ctx_.request.path, "/admin/x");
  EXPECT_EQ(ctx_.cluster->name, "ns/admin:80");
}

TEST_F(PipelineTest, EscapedSlashIsRejectedByDefault) {
  serve();
  EXPECT_EQ(run("/public%2F..%2Fadmin")->status, 400);
  EXPECT_EQ(ctx_.error, ProxyError::of(ErrorKind::InvalidPath));
  EXPECT_EQ(run("/public%5c..%5cadmin")->status, 400);
}

TEST_F(PipelineTest, UnescapeRoutesAndForwardsTheDecodedPath) {
  serve(EscapedSlashes::Unescape);
  EXPECT_EQ(run("/public%2F..%2Fadmin"), std::nullopt);
  EXPECT_EQ(ctx_.request.path, "/admin");
  EXPECT_EQ(ctx_.cluster->name, "ns/admin:80");
  EXPECT_EQ(run("/public%5C..%5Cadmin?q=%2F"), std::nullopt);
  EXPECT_EQ(ctx_.request.path, "/admin?q=%2F");
}

TEST_F(PipelineTest, KeepLeavesTheEscapeInsideItsSegment) {
  serve(EscapedSlashes::Keep);
  EXPECT_EQ(run("/public/a%2fb"), std::nullopt);
  EXPECT_EQ(ctx_.request.path, "/public/a%2Fb");
  EXPECT_EQ(run("/public%2F..%2Fadmin")->status, 404);  // one segment "public%2F..%2Fadmin"
}

TEST_F(PipelineTest, GrpcRequestWithoutRouteGetsUnimplementedTrailersOnly) {
  serve();
  std::optional<http::Response> answer = runGrpc("/pkg.Service/Method");
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(*answer->headers.find("grpc-status"), "12");
  EXPECT_TRUE(answer->body.empty());
  EXPECT_TRUE(ctx_.grpc);
  EXPECT_EQ(ctx_.error, ProxyError::of(ErrorKind::NoRoute));
}

TEST_F(PipelineTest, GrpcRequestWithoutEndpointOrBackendGetsUnavailable) {
  serve();
  EXPECT_EQ(*runGrpc("/empty")->headers.find("grpc-status"), "14");
  EXPECT_EQ(*runGrpc("/nobackend")->headers.find("grpc-status"), "14");
}

TEST_F(PipelineTest, GrpcTimeoutShortensTheDeadline) {
  serve();
  EXPECT_EQ(runGrpc("/admin/x", "100m"), std::nullopt);
  EXPECT_EQ(*ctx_.deadline, ctx_.started + std::chrono::milliseconds(100));
  EXPECT_EQ(runGrpc("/admin/x", "5S"), std::nullopt);  // the rule's 250 ms ends first
  EXPECT_EQ(*ctx_.deadline, ctx_.started + std::chrono::milliseconds(250));
  EXPECT_EQ(runGrpc("/public/x", "bogus"), std::nullopt);
  EXPECT_FALSE(ctx_.deadline.has_value());
}

TEST_F(PipelineTest, GrpcTimeoutOfAPlainRequestIsIgnored) {
  serve();
  ctx_.reset();
  ctx_.request = request("/public/x");
  ctx_.request.headers.add("grpc-timeout", "1m");
  ctx_.started = dataplane::Clock::now();
  EXPECT_EQ(runPhases(*worker_, socket_.identity(), ctx_), std::nullopt);
  EXPECT_FALSE(ctx_.grpc);
  EXPECT_FALSE(ctx_.deadline.has_value());
}

TEST(ProxyError, StatusFollowsTheKind) {
  EXPECT_EQ(ProxyError::of(ErrorKind::InvalidPath).status(), 400);
  EXPECT_EQ(ProxyError::of(ErrorKind::Misdirected).status(), 421);
  EXPECT_EQ(ProxyError::of(ErrorKind::RequestTooLarge).status(), 413);
  EXPECT_EQ(ProxyError::of(ErrorKind::ConnectFailed).status(), 503);
  EXPECT_EQ(ProxyError::of(ErrorKind::TimedOut).status(), 504);
  EXPECT_EQ(ProxyError::of(ErrorKind::ResponseTooLarge).status(), 502);
}

TEST(ProxyError, OnlyAFailedConnectIsRetryable) {
  EXPECT_EQ(ProxyError::of(ErrorKind::ConnectFailed), (ProxyError{ErrorKind::ConnectFailed, ErrorSide::Upstream, true}));
  EXPECT_FALSE(ProxyError::of(ErrorKind::BadResponse).retryable);
  EXPECT_FALSE(ProxyError::of(ErrorKind::TimedOut).retryable);
}

TEST(ProxyError, AnOutcomeIsEmptyOrTheErrorOfItsKind) {
  EXPECT_FALSE(Outcome{});
  const Outcome outcome = ProxyError::of(ErrorKind::ResponseTooLarge);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(*outcome, (ProxyError{ErrorKind::ResponseTooLarge, ErrorSide::Upstream, false}));
  EXPECT_EQ(outcome->status(), 502);
}

}  // namespace
}  // namespace gatehouse::testing
