#include "providers/file/file_provider.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "temp_dir.h"

namespace gatehouse::providers {
namespace {

namespace fs = std::filesystem;

struct RecordingSink : UpdateSink {
  void load(std::vector<store::SourceUpdate> part) override {
    std::lock_guard lock(mu);
    parts.push_back(std::move(part));
  }
  void update(std::vector<store::SourceUpdate> batch) override {
    std::lock_guard lock(mu);
    batches.push_back(std::move(batch));
  }
  std::mutex mu;
  std::vector<std::vector<store::SourceUpdate>> parts;
  std::vector<std::vector<store::SourceUpdate>> batches;
};

std::string ns(const std::string& name) { return "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + name + "}\n"; }

TEST(FileProvider, StartLoadsTheDirectoryThenEndsTheListingOnce) {
  TempDir dir;
  std::ofstream(dir.path() + "/a.yaml") << ns("a");
  std::ofstream(dir.path() + "/b.yaml") << ns("b");
  FileProvider provider(dir.path());
  RecordingSink sink;
  ASSERT_TRUE(provider.start(&sink).ok());
  ASSERT_EQ(sink.parts.size(), 1u);
  ASSERT_EQ(sink.parts[0].size(), 2u);
  EXPECT_EQ(sink.parts[0][0].source, dir.path() + "/a.yaml");
  EXPECT_EQ(sink.parts[0][1].upserts.at(0).key, (model::ObjectKey{"Namespace", "", "b"}));
  ASSERT_EQ(sink.batches.size(), 1u);
  EXPECT_TRUE(sink.batches[0].empty());
}

TEST(FileProvider, FirstListingIsDeliveredInPartsOf256Files) {
  TempDir dir;
  for (int i = 0; i < 300; ++i) std::ofstream(dir.path() + "/f" + std::to_string(1000 + i) + ".yaml") << ns("n" + std::to_string(i));
  FileProvider provider(dir.path());
  RecordingSink sink;
  ASSERT_TRUE(provider.start(&sink).ok());
  ASSERT_EQ(sink.parts.size(), 2u);
  EXPECT_EQ(sink.parts[0].size(), 256u);
  EXPECT_EQ(sink.parts[1].size(), 44u);
}

TEST(FileProvider, SyncDeliversARewriteAndTheObjectsItDropped) {
  TempDir dir;
  std::ofstream(dir.path() + "/a.yaml") << ns("a") << "---\n" << ns("b");
  FileProvider provider(dir.path());
  RecordingSink sink;
  ASSERT_TRUE(provider.start(&sink).ok());
  dir.writeAtomically("a.yaml", ns("a"));
  provider.sync();
  std::lock_guard lock(sink.mu);
  ASSERT_EQ(sink.batches.size(), 2u);
  ASSERT_EQ(sink.batches[1].size(), 1u);
  const auto& update = sink.batches[1][0];
  EXPECT_EQ(update.source, dir.path() + "/a.yaml");
  ASSERT_EQ(update.upserts.size(), 1u);
  EXPECT_EQ(update.deletes, (std::vector<model::ObjectKey>{{"Namespace", "", "b"}}));
}

TEST(FileProvider, RemovedFileDeletesItsObjects) {
  TempDir dir;
  std::ofstream(dir.path() + "/a.yaml") << ns("a");
  FileProvider provider(dir.path());
  RecordingSink sink;
  ASSERT_TRUE(provider.start(&sink).ok());
  fs::remove(dir.path() + "/a.yaml");
  provider.sync();
  std::lock_guard lock(sink.mu);
  ASSERT_EQ(sink.batches.size(), 2u);
  EXPECT_EQ(sink.batches[1].at(0).deletes, (std::vector<model::ObjectKey>{{"Namespace", "", "a"}}));
}

TEST(FileProvider, MissingDirectoryFailsToStartWithReason) {
  FileProvider provider("/nonexistent/gatehouse");
  RecordingSink sink;
  auto started = provider.start(&sink);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("/nonexistent/gatehouse"), std::string::npos);
}

}  // namespace
}  // namespace gatehouse::providers
