#include "providers/file/directory_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/log.h"

namespace gatehouse::providers {

namespace fs = std::filesystem;

namespace {

bool readFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

}  // namespace

bool DirectoryWatcher::isManifest(const std::string& path) {
  const std::string name = fs::path(path).filename().string();
  if (name.empty() || name[0] == '.') return false;  // editors' and writers' temporary files
  const std::string ext = fs::path(path).extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

DirectoryWatcher::~DirectoryWatcher() { stop(); }

std::vector<FileChange> DirectoryWatcher::scan() const {
  std::vector<FileChange> out;
  scan([&out](std::vector<FileChange> chunk) { std::move(chunk.begin(), chunk.end(), std::back_inserter(out)); },
       SIZE_MAX);
  return out;
}

void DirectoryWatcher::scan(const std::function<void(std::vector<FileChange>)>& each, size_t chunk) const {
  std::vector<FileChange> out;
  std::error_code ec;
  std::vector<std::string> paths;
  for (auto it = fs::recursive_directory_iterator(root_, fs::directory_options::follow_directory_symlink, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && isManifest(it->path().string())) paths.push_back(it->path().string());
  }
  std::sort(paths.begin(), paths.end());
  for (auto& p : paths) {
    FileChange change{p, false, {}};
    if (readFile(p, &change.content)) out.push_back(std::move(change));
    if (out.size() >= chunk) {
      each(std::move(out));
      out.clear();
    }
  }
  if (!out.empty()) each(std::move(out));
}

void DirectoryWatcher::addWatches(const std::string& dir) {
  int wd = inotify_add_watch(inotify_fd_, dir.c_str(),
                             IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF);
  if (wd >= 0) watch_dirs_[wd] = dir;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->is_directory()) addWatches(it->path().string());
}

bool DirectoryWatcher::start(Callback callback, std::string* error) {
  callback_ = std::move(callback);
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (inotify_fd_ < 0 || stop_fd_ < 0) {
    *error = std::string("inotify: ") + std::strerror(errno);
    return false;
  }
  addWatches(root_);
  if (watch_dirs_.empty()) {
    *error = "cannot watch " + root_ + ": " + std::strerror(errno);
    return false;
  }
  thread_ = std::thread([this] { loop(); });
  return true;
}

void DirectoryWatcher::stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof one);
    thread_.join();
  }
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
  inotify_fd_ = stop_fd_ = -1;
}

void DirectoryWatcher::sync() {
  if (inotify_fd_ < 0) return;
  std::lock_guard lock(mu_);
  drain();
}

void DirectoryWatcher::loop() {
  for (;;) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    std::lock_guard lock(mu_);
    drain();
  }
}

void DirectoryWatcher::drain() {
  alignas(inotify_event) char buf[64 * 1024];
  // Everything queued now becomes one batch: a burst of writes is one translation.
  std::set<std::string> touched;
  std::set<std::string> new_dirs;
  bool overflowed = false;
  for (;;) {
    ssize_t n = read(inotify_fd_, buf, sizeof buf);
    if (n <= 0) break;
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      p += sizeof(inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW) overflowed = true;
      auto dir = watch_dirs_.find(ev->wd);
      if (dir == watch_dirs_.end() || ev->len == 0) continue;
      std::string path = dir->second + "/" + ev->name;
      if (ev->mask & IN_ISDIR) {
        if (ev->mask & (IN_CREATE | IN_MOVED_TO)) new_dirs.insert(path);
        continue;
      }
      if (isManifest(path)) touched.insert(path);
    }
  }
  if (overflowed) {
    // More events than the kernel queues (fs.inotify.max_queued_events) arrived while a batch
    // was being delivered: which files changed is unknown, so list them all. New directories'
    // creations may be among the lost events: watch every directory again (a watched one keeps
    // its descriptor).
    spdlog::warn("{}: more file events than the kernel queues; reading the whole directory again", root_);
    addWatches(root_);
    callback_(scan(), true);
    return;
  }
  std::vector<FileChange> batch;
  for (auto& d : new_dirs) {
    addWatches(d);
    for (auto& f : DirectoryWatcher(d).scan()) batch.push_back(std::move(f));
  }
  for (auto& path : touched) {
    FileChange change{path, false, {}};
    change.removed = !readFile(path, &change.content);
    batch.push_back(std::move(change));
  }
  if (!batch.empty()) callback_(std::move(batch), false);
}

}  // namespace gatehouse::providers
