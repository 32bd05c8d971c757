#include "providers/file/file_provider.h"

#include <gtest/gtest.h>

#include <condition_variable>
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

// A sink whose update() holds the watcher until released, as a slow translation would.
struct StallingSink : UpdateSink {
  void load(std::vector<store::SourceUpdate>) override {}
  void update(std::vector<store::SourceUpdate> batch) override {
    std::unique_lock lock(mu);
    batches.push_back(std::move(batch));
    cv.notify_all();
    cv.wait(lock, [&] { return released || batches.size() == 1; });  // the start's empty batch passes
  }
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  std::vector<std::vector<store::SourceUpdate>> batches;
};

TEST(FileProvider, EventsLostToAQueueOverflowAreRecoveredByAFullListing) {
  const size_t max_queued = TempDir::maxQueuedEvents();
  if (max_queued == 0 || max_queued > 200'000) GTEST_SKIP() << "max_queued_events " << max_queued;
  TempDir dir;
  std::ofstream(dir.path() + "/gone.yaml") << ns("gone");
  FileProvider provider(dir.path());
  StallingSink sink;
  ASSERT_TRUE(provider.start(&sink).ok());
  dir.writeAtomically("trigger.yaml", ns("trigger"));
  {
    std::unique_lock lock(sink.mu);
    ASSERT_TRUE(sink.cv.wait_for(lock, std::chrono::seconds(10), [&] { return sink.batches.size() == 2; }));
  }
  dir.makeEvents(max_queued + 1);
  dir.writeAtomically("late.yaml", ns("late"));
  fs::remove(dir.path() + "/gone.yaml");
  {
    std::lock_guard lock(sink.mu);
    sink.released = true;
    sink.cv.notify_all();
  }
  provider.sync();
  std::lock_guard lock(sink.mu);
  ASSERT_EQ(sink.batches.size(), 3u);
  const auto& listing = sink.batches[2];  // late.yaml and trigger.yaml read again, gone.yaml removed
  ASSERT_EQ(listing.size(), 3u);
  EXPECT_EQ(listing[0].upserts.at(0).key, (model::ObjectKey{"Namespace", "", "late"}));
  EXPECT_EQ(listing[1].source, dir.path() + "/trigger.yaml");
  EXPECT_EQ(listing[2].source, dir.path() + "/gone.yaml");
  EXPECT_EQ(listing[2].deletes, (std::vector<model::ObjectKey>{{"Namespace", "", "gone"}}));
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
