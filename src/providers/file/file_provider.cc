#include "providers/file/file_provider.h"

namespace gatehouse::providers {

Result<bool> FileProvider::start(UpdateSink* sink) {
  sink_ = sink;
  std::string error;
  if (!watcher_.start([this](std::vector<FileChange> batch) { deliver(std::move(batch), false); }, &error))
    return Error{error};
  constexpr size_t kFilesPerPart = 256;
  watcher_.scan([this](std::vector<FileChange> part) { deliver(std::move(part), true); }, kFilesPerPart);
  sink_->update({});
  return true;
}

void FileProvider::deliver(std::vector<FileChange> changes, bool first_listing) {
  std::lock_guard lock(mu_);
  auto updates = files_.read(std::move(changes));
  if (first_listing) sink_->load(std::move(updates));
  else sink_->update(std::move(updates));
}

}  // namespace gatehouse::providers
