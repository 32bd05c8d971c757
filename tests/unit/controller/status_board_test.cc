#include "controller/status_board.h"

#include <gtest/gtest.h>

namespace gatehouse::controller {
namespace {

using model::Json;

model::ResourcePtr resource(const std::string& kind, const std::string& name, Json spec = Json::object()) {
  auto r = std::make_shared<model::Resource>();
  r->key = {kind, "ns", name};
  r->manifest = model::Packed(Json{{"kind", kind}, {"metadata", {{"name", name}, {"namespace", "ns"}}}, {"spec", spec}});
  return r;
}

Publication publication(const ObjectTable& table, std::vector<store::ConfigError> errors = {}) {
  Publication p;
  p.snapshot = std::make_shared<const snapshot::Snapshot>();
  p.objects = table.share();
  p.errors = std::make_shared<const std::vector<store::ConfigError>>(std::move(errors));
  return p;
}

TEST(StatusBoard, NothingIsServedBeforeTheFirstPublication) {
  StatusBoard board;
  EXPECT_FALSE(board.ready());
  EXPECT_EQ(board.objects(), nullptr);
  EXPECT_EQ(board.config(), nullptr);
  EXPECT_EQ(board.errors(), nullptr);
}

TEST(StatusBoard, ObjectsListsGatewayApiKindsInKeyOrderWithTheirStatus) {
  ObjectTable table;
  table.setObject({"HTTPRoute", "ns", "b"}, resource("HTTPRoute", "b"));
  table.setObject({"HTTPRoute", "ns", "a"}, resource("HTTPRoute", "a"));
  table.setStatus({"HTTPRoute", "ns", "a"}, model::Packed(Json{{"parents", Json::array()}}));
  table.setObject({"Service", "ns", "svc"}, resource("Service", "svc"));  // not a Gateway API kind
  StatusBoard board;
  board.publish(publication(table));
  const Json& items = (*board.objects())["items"];
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]["metadata"]["name"], "a");
  EXPECT_EQ(items[0]["status"], (Json{{"parents", Json::array()}}));
  EXPECT_EQ(items[1]["metadata"]["name"], "b");
  EXPECT_FALSE(items[1].contains("status"));
}

TEST(StatusBoard, ADocumentIsRenderedOncePerPublication) {
  ObjectTable table;
  table.setObject({"Gateway", "ns", "gw"}, resource("Gateway", "gw"));
  StatusBoard board;
  board.publish(publication(table));
  auto first = board.objects();
  EXPECT_EQ(board.objects(), first);
  table.setObject({"Gateway", "ns", "gw2"}, resource("Gateway", "gw2"));
  board.publish(publication(table));
  auto second = board.objects();
  EXPECT_NE(second, first);
  EXPECT_EQ((*first)["items"].size(), 1u);  // a reader keeps the document it got
  EXPECT_EQ((*second)["items"].size(), 2u);
}

TEST(StatusBoard, InfrastructureCarriesTheGatewaysLabelsAndAnnotations) {
  ObjectTable table;
  const model::ObjectKey gw{"Gateway", "ns", "gw"};
  table.setObject(gw, resource("Gateway", "gw", {{"infrastructure", {{"labels", {{"team", "a"}}}, {"annotations", {{"note", "x"}}}}}}));
  table.setStatus(gw, model::Packed(Json::object()));
  table.setObject({"Gateway", "ns", "foreign"}, resource("Gateway", "foreign"));  // no status: another controller's
  StatusBoard board;
  board.publish(publication(table));
  const Json& items = (*board.infrastructure())["items"];
  ASSERT_EQ(items.size(), 3u);
  std::vector<std::string> kinds;
  for (const auto& item : items) kinds.push_back(item["kind"]);
  EXPECT_EQ(kinds, (std::vector<std::string>{"ServiceAccount", "Pod", "Service"}));
  EXPECT_EQ(items[0]["metadata"]["labels"],
            (Json{{"gateway.networking.k8s.io/gateway-name", "gw"}, {"team", "a"}}));
  EXPECT_EQ(items[0]["metadata"]["annotations"], (Json{{"note", "x"}}));
}

TEST(StatusBoard, ErrorsKeepTheirOrderAndFields) {
  StatusBoard board;
  board.publish(publication(ObjectTable{}, {{"b.yaml", "", "", "unreadable"}, {"a.yaml", "HTTPRoute/ns/r", "spec.x", "bad"}}));
  EXPECT_EQ(*board.errors(), Json::parse(R"([{"file":"b.yaml","object":"","field":"","reason":"unreadable"},
                                             {"file":"a.yaml","object":"HTTPRoute/ns/r","field":"spec.x","reason":"bad"}])"));
}

}  // namespace
}  // namespace gatehouse::controller
