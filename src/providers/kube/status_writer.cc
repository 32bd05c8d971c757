#include "providers/kube/status_writer.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/log.h"
#include "common/backoff.h"
#include "providers/kube/status_merge.h"

namespace gatehouse::providers::kube {

namespace asio = boost::asio;
using model::Json;
using model::ObjectKey;

namespace {
constexpr int kConflictRetries = 5;
}

StatusWriter::StatusWriter(asio::io_context& io, ApiClient& client, ObjectCache& cache, ServedLookup served,
                           std::string controller_name)
    : io_(io),
      client_(client),
      cache_(cache),
      served_(std::move(served)),
      controller_name_(std::move(controller_name)),
      wake_(io, asio::steady_timer::time_point::max()) {}

void StatusWriter::enqueue(std::vector<StatusWrite> changed) {
  {
    std::lock_guard lock(mu_);
    for (auto& write : changed) pending_[write.key] = std::move(write.status);
  }
  asio::post(io_, [this] { wake(); });
}

void StatusWriter::setSource(std::function<std::vector<StatusWrite>()> everything) {
  std::lock_guard lock(mu_);
  everything_ = std::move(everything);
}

void StatusWriter::setLeader(bool leader) {
  if (leader == leader_) return;
  leader_ = leader;
  if (!leader) return;
  std::function<std::vector<StatusWrite>()> everything;
  {
    std::lock_guard lock(mu_);
    everything = everything_;
  }
  if (everything) {
    auto all = everything();
    std::lock_guard lock(mu_);
    for (auto& write : all) pending_.emplace(write.key, std::move(write.status));  // a newer pending one wins
  }
  wake();
}

void StatusWriter::wake() { wake_.cancel(); }

asio::awaitable<void> StatusWriter::run() {
  Backoff backoff;
  for (;;) {
    std::map<ObjectKey, std::shared_ptr<const Json>> batch;
    if (leader_) {
      std::lock_guard lock(mu_);
      batch.swap(pending_);
    }
    if (batch.empty()) {
      wake_.expires_at(asio::steady_timer::time_point::max());
      boost::system::error_code ec;
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    bool failed = false;
    for (auto& [key, status] : batch) {
      if (!leader_ || failed) {  // put back what is left, unless something newer came meanwhile
        std::lock_guard lock(mu_);
        pending_.emplace(key, std::move(status));
        continue;
      }
      if (!status) continue;  // deleted, or no status of ours: nothing to write
      if (co_await write(key, *status) == Outcome::Retry) {
        failed = true;
        std::lock_guard lock(mu_);
        pending_.emplace(key, std::move(status));
      }
    }
    if (failed) {
      wake_.expires_after(backoff.next());
      boost::system::error_code ec;
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    } else {
      backoff.reset();
    }
  }
}

asio::awaitable<StatusWriter::Outcome> StatusWriter::write(const ObjectKey& key, const Json& status) {
  const ServedKind* served = served_(key.kind);
  if (!served) co_return Outcome::Done;  // not watched: not ours
  const std::string path = served->path(key.ns, key.name);
  for (int attempt = 0; attempt < kConflictRetries; ++attempt) {
    const ObjectCache::Entry* entry = cache_.find(key);
    if (!entry) co_return Outcome::Done;  // deleted meanwhile
    Json merged = mergeStatus(status, entry->status, controller_name_);
    if (merged == entry->status || (merged.empty() && entry->status.is_null())) co_return Outcome::Done;
    auto patch = statusPatch(merged, entry->status, entry->resource_version);
    std::string status_path = path + "/status", body = patch.dump();  // not temporaries: see reflector.cc
    auto response = co_await client_.request("PATCH", status_path, std::move(body), "application/merge-patch+json");
    if (!response) {
      spdlog::warn("kubernetes: status of {}: {}", key.str(), response.error().message);
      co_return Outcome::Retry;
    }
    switch (response->status) {
      case 200:
      case 201:
        cache_.observeStatus(key, Json::parse(response->body, nullptr, false));
        co_return Outcome::Done;
      case 404:
        co_return Outcome::Done;
      case 409: {  // someone wrote since we read: read again, merge again
        auto fresh = co_await client_.request("GET", status_path);
        if (!fresh) co_return Outcome::Retry;
        if (fresh->status == 404) co_return Outcome::Done;
        if (fresh->status != 200) co_return Outcome::Retry;
        cache_.observeStatus(key, Json::parse(fresh->body, nullptr, false));
        continue;
      }
      default:
        spdlog::warn("kubernetes: status of {}: {}", key.str(), response->describe());
        // Forbidden or invalid will not heal by retrying the same write; anything else may.
        co_return response->status == 403 || response->status == 422 ? Outcome::Done : Outcome::Retry;
    }
  }
  co_return Outcome::Retry;
}

}  // namespace gatehouse::providers::kube
