#include "controller/controller.h"

#include <gtest/gtest.h>

#include "controller/status_board.h"
#include "model/manifest.h"
#include "providers/file/manifest_files.h"
#include "providers/memory/memory_provider.h"

namespace gatehouse::controller {
namespace {

// Stands in for the data plane: records snapshots, refuses to bind one address.
class RecordingSink : public SnapshotSink {
 public:
  std::map<std::string, std::string> apply(snapshot::SnapshotPtr snapshot) override {
    applied.push_back(snapshot);
    std::map<std::string, std::string> unusable;
    for (const auto& s : snapshot->sockets)
      if (s.address == refuse) unusable[s.address] = "cannot listen on " + s.identity() + ": refused in test";
    return unusable;
  }
  std::vector<snapshot::SnapshotPtr> applied;
  std::string refuse;
};

constexpr const char* kConfig = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gc}
spec: {controllerName: gatehouse.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: gc
  addresses: [{value: ADDRESS}]
  listeners: [{name: http, port: 8080, protocol: HTTP}]
)";

std::string config(const std::string& address) {
  std::string s = kConfig;
  s.replace(s.find("ADDRESS"), 7, address);
  return s;
}

const model::Json& gatewayStatus(const StatusBoard& board) {
  for (const auto& item : (*board.objects())["items"])
    if (item["kind"] == "Gateway") return item["status"];
  static const model::Json kNone;
  return kNone;
}

const model::Json* condition(const model::Json& status, const std::string& type) {
  for (const auto& c : status["conditions"])
    if (c["type"] == type) return &c;
  return nullptr;
}

TEST(Controller, FirstBatchAppliesASnapshotAndPublishesStatus) {
  RecordingSink sink;
  StatusBoard board;
  Controller controller({}, &sink, {&board});
  providers::ManifestFiles files;
  controller.update({files.read("a.yaml", config("127.0.1.9"))});
  ASSERT_EQ(sink.applied.size(), 1u);
  ASSERT_EQ(sink.applied[0]->sockets.size(), 1u);
  EXPECT_EQ(sink.applied[0]->sockets[0].identity(), "127.0.1.9:8080");
  EXPECT_TRUE(board.ready());
  EXPECT_EQ((*condition(gatewayStatus(board), "Programmed"))["status"], "True");
}

TEST(Controller, UnbindableAddressIsReportedInStatus) {
  RecordingSink sink;
  sink.refuse = "127.0.1.9";
  StatusBoard board;
  Controller controller({}, &sink, {&board});
  providers::ManifestFiles files;
  controller.update({files.read("a.yaml", config("127.0.1.9"))});
  const auto* programmed = condition(gatewayStatus(board), "Programmed");
  EXPECT_EQ((*programmed)["status"], "False");
  EXPECT_EQ((*programmed)["reason"], "AddressNotUsable");
  EXPECT_EQ((*programmed)["message"], "cannot listen on 127.0.1.9:8080: refused in test");
}

TEST(Controller, RetryBindsAnAddressOnceItIsFree) {
  RecordingSink sink;
  sink.refuse = "127.0.1.9";
  StatusBoard board;
  Controller controller({}, &sink, {&board});
  providers::ManifestFiles files;
  controller.update({files.read("a.yaml", config("127.0.1.9"))});
  controller.retryUnusable();
  EXPECT_EQ((*condition(gatewayStatus(board), "Programmed"))["reason"], "AddressNotUsable");
  sink.refuse.clear();
  controller.retryUnusable();
  EXPECT_EQ((*condition(gatewayStatus(board), "Programmed"))["reason"], "Programmed");
  const size_t applied = sink.applied.size();
  controller.retryUnusable();  // nothing unusable any more: no work
  EXPECT_EQ(sink.applied.size(), applied);
}

TEST(Controller, UnchangedConditionKeepsItsTransitionTime) {
  RecordingSink sink;
  StatusBoard board;
  Controller controller({}, &sink, {&board});
  providers::ManifestFiles files;
  controller.update({files.read("a.yaml", config("127.0.1.9"))});
  auto first = (*condition(gatewayStatus(board), "Accepted"))["lastTransitionTime"];
  // Another object arrives later; the Gateway's Accepted condition did not change.
  controller.update({files.read("b.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n")});
  EXPECT_EQ((*condition(gatewayStatus(board), "Accepted"))["lastTransitionTime"], first);
}

TEST(Controller, BrokenFileKeepsServingAndIsListedInErrors) {
  RecordingSink sink;
  StatusBoard board;
  Controller controller({}, &sink, {&board});
  providers::ManifestFiles files;
  controller.update({files.read("a.yaml", config("127.0.1.9"))});
  controller.update({files.read("a.yaml", "kind: [broken")});
  EXPECT_EQ(sink.applied.back()->sockets.size(), 1u);
  const auto& errors = *board.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0]["file"], "a.yaml");
}

TEST(Controller, AnErrorReplacedByAnotherIsPublished) {
  RecordingSink sink;
  StatusBoard board;
  Controller controller({}, &sink, {&board});
  providers::ManifestFiles files;
  controller.update({files.read("a.yaml", "kind: [broken")});
  controller.update({files.read("a.yaml", "kind: {broken")});  // still one error, but not the same
  const auto& errors = *board.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0]["reason"].get<std::string>().find("flow mapping"), std::string::npos) << errors[0];
}

// Stands in for the Kubernetes status writer: keeps what each publication said had changed.
struct RecordingStatusSink : StatusSink {
  void publish(const Publication& publication) override {
    std::vector<std::string> changes;
    for (const auto& c : publication.changed)
      changes.push_back(c.key.str() + (c.status ? " gen " + std::to_string(c.object->generation) : " gone"));
    published.push_back(std::move(changes));
  }
  std::vector<std::vector<std::string>> published;
};

std::vector<model::Json> objects(const std::string& yaml) { return model::decodeManifests(yaml).value(); }

TEST(Controller, StatusSinksGetEachChangedStatusWithItsObject) {
  RecordingSink sink;
  StatusBoard board;
  RecordingStatusSink writer;
  Controller controller({}, &sink, {&board, &writer});
  providers::MemoryProvider provider;
  ASSERT_TRUE(provider.start(&controller).ok());
  provider.set("gw", objects(config("127.0.1.9")));
  provider.set("gw", objects(config("127.0.1.10")));  // a spec change: generation 2
  provider.remove("gw");
  ASSERT_EQ(writer.published.size(), 4u);  // the end of the (empty) listing, then three changes
  EXPECT_TRUE(writer.published[0].empty());
  EXPECT_EQ(writer.published[1], (std::vector<std::string>{"Gateway/ns/gw gen 1", "GatewayClass/gc gen 1"}));
  EXPECT_EQ(writer.published[2], std::vector<std::string>{"Gateway/ns/gw gen 2"});
  EXPECT_EQ(writer.published[3], (std::vector<std::string>{"Gateway/ns/gw gone", "GatewayClass/gc gone"}));
  EXPECT_TRUE((*board.objects())["items"].empty());
}

TEST(Controller, PublishedDocumentsAreNotChangedByLaterChanges) {
  RecordingSink sink;
  StatusBoard board;
  Controller controller({}, &sink, {&board});
  providers::ManifestFiles files;
  controller.update({files.read("a.yaml", config("127.0.1.9"))});
  auto before = board.objects();
  controller.update({files.read("a.yaml", config("127.0.1.10"))});
  EXPECT_EQ((*before)["items"][0]["spec"]["addresses"][0]["value"], "127.0.1.9");
  EXPECT_EQ((*board.objects())["items"][0]["spec"]["addresses"][0]["value"], "127.0.1.10");
}

TEST(Controller, BindFailureIsPatchedIntoStatusWithoutASecondSnapshot) {
  RecordingSink sink;
  sink.refuse = "127.0.1.9";
  StatusBoard board;
  Controller controller({}, &sink, {&board});
  providers::ManifestFiles files;
  controller.update({files.read("a.yaml", config("127.0.1.9"))});
  EXPECT_EQ(sink.applied.size(), 1u);
  EXPECT_EQ(gatewayStatus(board)["addresses"], model::Json::array());
  // A later change keeps the patch on the Gateway's new status.
  controller.update({files.read("b.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n")});
  EXPECT_EQ((*condition(gatewayStatus(board), "Programmed"))["reason"], "AddressNotUsable");
}

}  // namespace
}  // namespace gatehouse::controller
