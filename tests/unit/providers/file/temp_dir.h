#pragma once
// A directory under /tmp for one test, removed with everything in it at the end.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace gatehouse::providers {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/gatehouse-watch-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  // As editors and `kubectl`-like writers do: a temporary name, then a rename.
  void writeAtomically(const std::string& name, const std::string& content) const {
    const std::string tmp = path_ + "/.tmp-" + std::filesystem::path(name).filename().string();
    std::ofstream(tmp) << content;
    std::filesystem::rename(tmp, path_ + "/" + name);
  }
  // `count` file events on files that are not manifests; two names in turn, since the kernel
  // merges identical consecutive events into one.
  void makeEvents(size_t count) const {
    for (size_t i = 0; i < count; ++i) std::ofstream(path_ + (i % 2 ? "/noise-a.txt" : "/noise-b.txt"));
  }
  // The kernel's bound on queued inotify events (0: unknown).
  static size_t maxQueuedEvents() {
    size_t max = 0;
    std::ifstream("/proc/sys/fs/inotify/max_queued_events") >> max;
    return max;
  }

 private:
  std::string path_;
};

}  // namespace gatehouse::providers
