#pragma once
// The file provider's eyes: reads every *.yaml, *.yml and *.json under a directory
// (recursively) and reports changed files through inotify; FileProvider turns them into
// objects. Writers are expected to replace files atomically (write a temporary name, then
// rename), which arrives here as IN_MOVED_TO.
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gatehouse::providers {

struct FileChange {
  std::string path;
  bool removed = false;
  std::string content;  // when not removed
};

class DirectoryWatcher {
 public:
  // A batch of changes. `complete`: the batch lists every manifest file under the root, so a
  // file it does not name is gone (sent after the kernel's event queue overflowed: events lost).
  using Callback = std::function<void(std::vector<FileChange> changes, bool complete)>;

  explicit DirectoryWatcher(std::string root) : root_(std::move(root)) {}
  ~DirectoryWatcher();

  // Every manifest file now under the root, in path order.
  std::vector<FileChange> scan() const;
  // The same, handed over `chunk` files at a time: a large directory is never all in memory.
  void scan(const std::function<void(std::vector<FileChange>)>& each, size_t chunk) const;
  // Starts watching on a thread of its own; `callback` gets each batch of changes.
  bool start(Callback callback, std::string* error);
  void stop();
  // Delivers every change already queued by the kernel before returning (and waits for a
  // delivery in progress). A write that finished before this call is visible after it: the
  // admin API's read-your-writes (FileProvider::sync).
  void sync();

  static bool isManifest(const std::string& path);

 private:
  void loop();
  void drain();  // with mu_ held
  void addWatches(const std::string& dir);

  std::string root_;
  Callback callback_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;
  std::map<int, std::string> watch_dirs_;
  std::mutex mu_;
  std::thread thread_;
};

}  // namespace gatehouse::providers
