#include "providers/file/file_provider.h"

namespace gatehouse::providers {

Result<bool> FileProvider::start(UpdateSink* sink) {
  sink_ = sink;
  std::string error;
  if (!watcher_.start(
          [this](std::vector<FileChange> batch, bool complete) {
            deliver(std::move(batch), complete ? Listing::Complete : Listing::Changes);
          },
          &error))
    return Error{error};
  constexpr size_t kFilesPerPart = 256;
  watcher_.scan([this](std::vector<FileChange> part) { deliver(std::move(part), Listing::FirstPart); }, kFilesPerPart);
  sink_->update({});
  return true;
}

void FileProvider::deliver(std::vector<FileChange> changes, Listing listing) {
  std::lock_guard lock(mu_);
  if (listing == Listing::Complete) {
    for (std::string& gone : files_.pathsNotIn(changes)) changes.push_back({std::move(gone), true, {}});
  }
  auto updates = files_.read(std::move(changes));
  if (listing == Listing::FirstPart) sink_->load(std::move(updates));
  else sink_->update(std::move(updates));
}

}  // namespace gatehouse::providers
