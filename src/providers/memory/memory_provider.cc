#include "providers/memory/memory_provider.h"

#include <set>

#include "model/manifest.h"

namespace gatehouse::providers {

Result<bool> MemoryProvider::start(UpdateSink* sink) {
  std::lock_guard lock(mu_);  // a change made meanwhile waits, then follows the listing
  std::vector<store::SourceUpdate> listing;
  for (const auto& [source, update] : sources_) listing.push_back(update);
  sink->load(std::move(listing));
  sink->update({});
  sink_ = sink;
  return true;
}

void MemoryProvider::stop() {
  std::lock_guard lock(mu_);
  sink_ = nullptr;
}

void MemoryProvider::set(const std::string& source, std::vector<model::Json> objects) {
  store::SourceUpdate update{source, {}, {}, {}};
  for (auto& object : objects) {
    auto key = model::objectKeyOf(object);
    if (key) update.upserts.push_back({std::move(*key), std::move(object)});
    else update.errors.push_back({source, "", "", key.error().message});
  }
  std::lock_guard lock(mu_);
  replace(std::move(update));
}

void MemoryProvider::remove(const std::string& source) {
  std::lock_guard lock(mu_);
  replace({source, {}, {}, {}});
  sources_.erase(source);
}

void MemoryProvider::replace(store::SourceUpdate update) {
  auto& held = sources_[update.source];
  std::set<model::ObjectKey> now;
  for (const auto& upsert : update.upserts) now.insert(upsert.key);
  for (const auto& upsert : held.upserts)
    if (!now.count(upsert.key)) update.deletes.push_back(upsert.key);
  held = update;
  held.deletes.clear();
  if (sink_) sink_->update({std::move(update)});
}

}  // namespace gatehouse::providers
