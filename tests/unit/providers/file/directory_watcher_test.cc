#include "providers/file/directory_watcher.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "temp_dir.h"

namespace gatehouse::providers {
namespace {

namespace fs = std::filesystem;

struct Recorder {
  std::mutex mu;
  std::vector<FileChange> changes;
  void operator()(std::vector<FileChange> batch) {
    std::lock_guard lock(mu);
    for (auto& c : batch) changes.push_back(std::move(c));
  }
  std::vector<FileChange> take() {
    std::lock_guard lock(mu);
    return std::exchange(changes, {});
  }
};

TEST(DirectoryWatcher, ScanFindsManifestsRecursivelyAndSkipsOthers) {
  TempDir dir;
  fs::create_directory(dir.path() + "/sub");
  std::ofstream(dir.path() + "/a.yaml") << "a";
  std::ofstream(dir.path() + "/sub/b.json") << "b";
  std::ofstream(dir.path() + "/notes.txt") << "c";
  std::ofstream(dir.path() + "/.hidden.yaml") << "d";
  auto files = DirectoryWatcher(dir.path()).scan();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, dir.path() + "/a.yaml");
  EXPECT_EQ(files[0].content, "a");
  EXPECT_EQ(files[1].path, dir.path() + "/sub/b.json");
}

TEST(DirectoryWatcher, SyncDeliversAWriteThatFinishedBeforeIt) {
  TempDir dir;
  Recorder recorder;
  DirectoryWatcher watcher(dir.path());
  std::string error;
  ASSERT_TRUE(watcher.start([&](std::vector<FileChange> b) { recorder(std::move(b)); }, &error)) << error;
  dir.writeAtomically("route.yaml", "kind: X");
  watcher.sync();  // whichever thread drained it, the change was delivered before sync returned
  auto changes = recorder.take();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].path, dir.path() + "/route.yaml");
  EXPECT_FALSE(changes[0].removed);
  EXPECT_EQ(changes[0].content, "kind: X");
  watcher.stop();
}

TEST(DirectoryWatcher, RemovalIsReported) {
  TempDir dir;
  std::ofstream(dir.path() + "/a.yaml") << "a";
  Recorder recorder;
  DirectoryWatcher watcher(dir.path());
  std::string error;
  ASSERT_TRUE(watcher.start([&](std::vector<FileChange> b) { recorder(std::move(b)); }, &error)) << error;
  fs::remove(dir.path() + "/a.yaml");
  watcher.sync();
  auto changes = recorder.take();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].removed);
}

TEST(DirectoryWatcher, NewSubdirectoryIsWatchedAndScanned) {
  TempDir dir;
  Recorder recorder;
  DirectoryWatcher watcher(dir.path());
  std::string error;
  ASSERT_TRUE(watcher.start([&](std::vector<FileChange> b) { recorder(std::move(b)); }, &error)) << error;
  fs::create_directory(dir.path() + "/team");
  watcher.sync();
  dir.writeAtomically("team/r.yaml", "r");
  // Moved into a directory created a moment ago: the watch added for it must see this.
  fs::rename(dir.path() + "/team/r.yaml", dir.path() + "/team/s.yaml");
  watcher.sync();
  auto changes = recorder.take();
  bool saw_s = false;
  for (auto& c : changes) saw_s |= c.path == dir.path() + "/team/s.yaml" && !c.removed && c.content == "r";
  EXPECT_TRUE(saw_s);
}

TEST(DirectoryWatcher, MissingDirectoryFailsToStartWithReason) {
  DirectoryWatcher watcher("/nonexistent/gatehouse");
  std::string error;
  EXPECT_FALSE(watcher.start([](std::vector<FileChange>) {}, &error));
  EXPECT_NE(error.find("/nonexistent/gatehouse"), std::string::npos);
}

}  // namespace
}  // namespace gatehouse::providers
