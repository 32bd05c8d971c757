#include "providers/memory/memory_provider.h"

#include <gtest/gtest.h>

namespace gatehouse::providers {
namespace {

// Records what a provider delivers, as the control loop would receive it.
struct RecordingSink : UpdateSink {
  void load(std::vector<store::SourceUpdate> part) override {
    for (auto& u : part) loaded.push_back(std::move(u));
  }
  void update(std::vector<store::SourceUpdate> batch) override { batches.push_back(std::move(batch)); }
  std::vector<store::SourceUpdate> loaded;
  std::vector<std::vector<store::SourceUpdate>> batches;
};

model::Json ns(const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
}

TEST(MemoryProvider, StartListsWhatWasSetThenEndsTheListing) {
  MemoryProvider provider;
  provider.set("s", {ns("a"), ns("b")});
  RecordingSink sink;
  ASSERT_TRUE(provider.start(&sink).ok());
  ASSERT_EQ(sink.loaded.size(), 1u);
  EXPECT_EQ(sink.loaded[0].source, "s");
  ASSERT_EQ(sink.loaded[0].upserts.size(), 2u);
  EXPECT_EQ(sink.loaded[0].upserts[1].key, (model::ObjectKey{"Namespace", "", "b"}));
  EXPECT_TRUE(sink.loaded[0].deletes.empty());
  ASSERT_EQ(sink.batches.size(), 1u);
  EXPECT_TRUE(sink.batches[0].empty());
}

TEST(MemoryProvider, SetAfterStartIsDeliveredAtOnceAndDeletesWhatTheSourceDropped) {
  MemoryProvider provider;
  RecordingSink sink;
  provider.start(&sink);
  provider.set("s", {ns("a"), ns("b")});
  provider.set("s", {ns("b")});
  ASSERT_EQ(sink.batches.size(), 3u);
  const auto& second = sink.batches[2].at(0);
  ASSERT_EQ(second.upserts.size(), 1u);
  EXPECT_EQ(second.upserts[0].key.name, "b");
  EXPECT_EQ(second.deletes, (std::vector<model::ObjectKey>{{"Namespace", "", "a"}}));
}

TEST(MemoryProvider, RemoveDeletesEveryObjectOfTheSource) {
  MemoryProvider provider;
  RecordingSink sink;
  provider.start(&sink);
  provider.set("s", {ns("a")});
  provider.remove("s");
  const auto& removal = sink.batches.back().at(0);
  EXPECT_TRUE(removal.upserts.empty());
  EXPECT_EQ(removal.deletes, (std::vector<model::ObjectKey>{{"Namespace", "", "a"}}));
}

TEST(MemoryProvider, ObjectWithoutIdentityIsAnErrorOfItsSource) {
  MemoryProvider provider;
  RecordingSink sink;
  provider.start(&sink);
  provider.set("s", {model::Json{{"kind", "Namespace"}}});
  const auto& update = sink.batches.back().at(0);
  EXPECT_TRUE(update.upserts.empty());
  ASSERT_EQ(update.errors.size(), 1u);
  EXPECT_EQ(update.errors[0].source, "s");
}

TEST(MemoryProvider, NothingIsDeliveredAfterStop) {
  MemoryProvider provider;
  RecordingSink sink;
  provider.start(&sink);
  provider.stop();
  provider.set("s", {ns("a")});
  EXPECT_EQ(sink.batches.size(), 1u);
}

}  // namespace
}  // namespace gatehouse::providers
