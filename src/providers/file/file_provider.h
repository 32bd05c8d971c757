#pragma once
// The file provider: every *.yaml, *.yml and *.json under a directory, watched with inotify
// (DirectoryWatcher), decoded into objects (ManifestFiles).
#include <mutex>
#include <string>

#include "providers/file/directory_watcher.h"
#include "providers/file/manifest_files.h"
#include "providers/provider.h"

namespace gatehouse::providers {

class FileProvider : public Provider {
 public:
  explicit FileProvider(std::string root) : watcher_(std::move(root)) {}
  ~FileProvider() override { stop(); }

  // Watches before the first scan so that nothing written in between is missed; the scan is
  // read and delivered 256 files at a time so file contents and decoded documents are never all
  // in memory at once (a heap that held them all stays that large).
  Result<bool> start(UpdateSink* sink) override;
  void stop() override { watcher_.stop(); }
  // Drains the kernel's queue of file events and delivers them before returning.
  void sync() override { watcher_.sync(); }

 private:
  enum class Listing {
    FirstPart,  // a part of the scan at start
    Changes,    // files changed
    Complete,   // every file now: those it does not name were removed
  };
  void deliver(std::vector<FileChange> changes, Listing listing);

  DirectoryWatcher watcher_;
  std::mutex mu_;  // serialises deliveries from the scan and the watcher thread
  ManifestFiles files_;
  UpdateSink* sink_ = nullptr;
};

}  // namespace gatehouse::providers
