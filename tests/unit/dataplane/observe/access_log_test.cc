// Access log lines: the keys --access-log-fields selects, and which requests sampling keeps.
#include "dataplane/observe/access_log.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dataplane/pipeline/request_context.h"
#include "model/validation.h"

namespace gatehouse::dataplane::observe {
namespace {

std::string keysOf(const std::string& line) {
  const auto object = nlohmann::ordered_json::parse(line);  // keeps the line's order
  std::string keys;
  for (const auto& [k, v] : object.items()) keys += (keys.empty() ? "" : ",") + k;
  return keys;
}

std::string lineOf(const RequestContext& ctx, AccessLogFields fields) {
  std::string out = "earlier line\n";
  appendAccessLogLine(out, ctx, std::chrono::system_clock::time_point{}, std::chrono::steady_clock::now(), fields);
  EXPECT_EQ(out.substr(0, 13), "earlier line\n");
  EXPECT_EQ(out.back(), '\n');
  return out.substr(13);
}

RequestContext getRoot(uint16_t status) {
  RequestContext ctx;
  ctx.request.method = "GET";
  ctx.request.path = "/";
  ctx.status = status;
  return ctx;
}

TEST(AccessLogFields, ParsesAListInAnyOrderWithSpaces) {
  const auto fields = AccessLogFields::parse("status, path,time");
  ASSERT_TRUE(fields);
  EXPECT_TRUE(fields->has(AccessLogField::Time));
  EXPECT_TRUE(fields->has(AccessLogField::Path));
  EXPECT_TRUE(fields->has(AccessLogField::Status));
  EXPECT_FALSE(fields->has(AccessLogField::Method));
  EXPECT_FALSE(fields->has(AccessLogField::ClientAddress));
}

TEST(AccessLogFields, EveryKeyByNameIsAll) {
  std::string every;
  for (size_t i = 0; i < kAccessLogFields; ++i)
    every += (i ? "," : "") + std::string(accessLogFieldName(static_cast<AccessLogField>(i)));
  EXPECT_EQ(AccessLogFields::parse(every).value(), AccessLogFields::all());
}

// The provisioner passes spec.accessLog.fields on as --access-log-fields: the schema must take
// exactly the keys the data plane knows.
TEST(AccessLogFields, GatehouseParametersTakeEveryKeyAndNoOther) {
  nlohmann::json parameters = {{"apiVersion", "gatehouse.dev/v1alpha1"},
                               {"kind", "GatehouseParameters"},
                               {"metadata", {{"name", "p"}, {"namespace", "infra"}}},
                               {"spec", {{"accessLog", {{"fields", nlohmann::json::array()}}}}}};
  for (size_t i = 0; i < kAccessLogFields; ++i)
    parameters["spec"]["accessLog"]["fields"].push_back(accessLogFieldName(static_cast<AccessLogField>(i)));
  EXPECT_TRUE(model::validate("GatehouseParameters", parameters).empty());
  parameters["spec"]["accessLog"]["fields"].push_back("user_agent");
  EXPECT_EQ(model::validate("GatehouseParameters", parameters).size(), 1u);
}

TEST(AccessLogFields, AnUnknownKeyIsRefusedByName) {
  const auto fields = AccessLogFields::parse("status,user_agent");
  ASSERT_FALSE(fields);
  EXPECT_EQ(fields.error().message,
            "unknown access log field \"user_agent\" (known: time, gateway, listener, route, rule, backend, endpoint, "
            "method, authority, path, status, bytes_received, bytes_sent, duration_ms, upstream_duration_ms, "
            "upstream_failure, upstream_attempts, trace_id, client_address)");
}

TEST(AccessLogFields, AnEmptyListIsRefused) {
  EXPECT_FALSE(AccessLogFields::parse(""));
  EXPECT_FALSE(AccessLogFields::parse(" , "));
}

TEST(AccessLogLine, AllFieldsInTheDocumentedOrder) {
  EXPECT_EQ(keysOf(lineOf(getRoot(200), AccessLogFields::all())),
            "time,gateway,listener,route,rule,backend,endpoint,method,authority,path,status,bytes_received,"
            "bytes_sent,duration_ms,upstream_duration_ms,upstream_failure,upstream_attempts,trace_id,client_address");
  EXPECT_EQ(lineOf(getRoot(200), AccessLogFields::all()).substr(0, 35), "{\"time\":\"1970-01-01T00:00:00.000Z\",");
}

TEST(AccessLogLine, OnlyTheSelectedKeysInTheDocumentedOrder) {
  EXPECT_EQ(lineOf(getRoot(404), AccessLogFields::parse("status,path,method").value()),
            "{\"method\":\"GET\",\"path\":\"/\",\"status\":404}\n");
  EXPECT_EQ(lineOf(getRoot(404), AccessLogFields::parse("client_address").value()), "{\"client_address\":null}\n");
}

TEST(AlwaysLogged, ServerErrorsUpstreamFailuresAndNoResponseWhateverTheSampling) {
  EXPECT_FALSE(alwaysLogged(getRoot(200)));
  EXPECT_FALSE(alwaysLogged(getRoot(499)));
  EXPECT_TRUE(alwaysLogged(getRoot(500)));
  EXPECT_TRUE(alwaysLogged(getRoot(0)));
  RequestContext failed = getRoot(404);  // a status the failure does not decide
  failed.error = ProxyError::of(ErrorKind::ConnectFailed);
  failed.error->side = ErrorSide::Upstream;
  EXPECT_TRUE(alwaysLogged(failed));
  failed.error->side = ErrorSide::Downstream;
  EXPECT_FALSE(alwaysLogged(failed));
}

}  // namespace
}  // namespace gatehouse::dataplane::observe
