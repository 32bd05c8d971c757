#include "providers/kube/reflector.h"

#include <random>
#include <set>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/log.h"
#include "common/backoff.h"

namespace gatehouse::providers::kube {

namespace asio = boost::asio;
using model::Json;
using model::ObjectKey;

namespace {

constexpr size_t kListPageSize = 500;
constexpr size_t kObjectsPerDelivery = 256;
constexpr auto kUnservedProbeInterval = std::chrono::minutes(1);

asio::awaitable<void> sleepFor(std::chrono::milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Watches end on the server's side after a random 5 to 10 minutes, as client-go's do, so that
// many instances don't reconnect at once.
int watchTimeoutSeconds() {
  static thread_local std::mt19937 rng(std::random_device{}());
  return std::uniform_int_distribution<int>(300, 600)(rng);
}

store::SourceUpdate upsertOf(store::Upsert upsert) {
  store::SourceUpdate update;
  update.source = sourceOf(upsert.key);
  update.upserts.push_back(std::move(upsert));
  return update;
}

store::SourceUpdate deleteOf(const ObjectKey& key) {
  store::SourceUpdate update;
  update.source = sourceOf(key);
  update.deletes.push_back(key);
  return update;
}

}  // namespace

asio::awaitable<void> Reflector::run(std::function<void()> listed) {
  Backoff backoff;
  bool reported_unserved = false;
  auto listedOnce = [&listed] {
    if (listed) std::exchange(listed, nullptr)();
  };
  for (;;) {
    if (!served_) {
      auto found = co_await discovery_.find(kind_);
      if (!found) {
        spdlog::warn("kubernetes: discovery of {}: {}", kind_.kind, found.error().message);
        co_await sleepFor(backoff.next());
        continue;
      }
      if (!*found) {
        if (!reported_unserved)
          spdlog::info("kubernetes: the API server does not serve {} ({}): skipped, probed again every minute",
                       kind_.kind, kind_.plural + "." + kind_.group);
        reported_unserved = true;
        listedOnce();
        co_await sleepFor(kUnservedProbeInterval);
        discovery_.forget();
        continue;
      }
      served_ = **found;
      reported_unserved = false;
    }
    auto listed_now = co_await list();
    if (!listed_now) {
      spdlog::warn("kubernetes: list {}: {}", kind_.kind, listed_now.error().message);
      co_await sleepFor(backoff.next());
      continue;
    }
    if (*listed_now == ListEnd::Gone) {  // the CRD went away: so did its objects
      deleteAll();
      served_.reset();
      discovery_.forget();
      continue;
    }
    if (*listed_now == ListEnd::Forbidden) {  // a gap in RBAC must not hold every other kind back
      listedOnce();
      co_await sleepFor(kUnservedProbeInterval);
      continue;
    }
    listedOnce();
    backoff.reset();
    for (;;) {
      WatchEnd end = co_await watch();
      if (end == WatchEnd::Resume) {
        backoff.reset();
        continue;
      }
      if (end == WatchEnd::Failed) {
        co_await sleepFor(backoff.next());
        continue;
      }
      if (end == WatchEnd::Gone) {
        deleteAll();
        served_.reset();
        discovery_.forget();
      }
      break;  // Relist (410), or rediscover
    }
  }
}

asio::awaitable<Result<Reflector::ListEnd>> Reflector::list() {
  std::string base = served_->path() + "?limit=" + std::to_string(kListPageSize);
  if (!kind_.label_selector.empty()) base += "&labelSelector=" + kind_.label_selector;
  std::set<ObjectKey> seen;
  std::vector<store::SourceUpdate> updates;
  std::string next;
  do {
    // Named, not temporaries: GCC 12 may destroy a temporary in a co_await expression twice.
    std::string target = next.empty() ? base : base + "&continue=" + next;
    auto response = co_await client_.request("GET", std::move(target));
    if (!response) co_return response.error();
    if (response->status == 404) co_return ListEnd::Gone;
    if (response->status == 403) {
      spdlog::error("kubernetes: list {}: {}; {} is skipped, asked for again every minute", kind_.kind,
                    response->describe(), kind_.kind);
      co_return ListEnd::Forbidden;
    }
    if (response->status != 200) co_return Error{"list " + served_->path() + ": " + response->describe()};
    auto page = Json::parse(response->body, nullptr, false);
    if (!page.is_object() || !page.contains("items") || !page["items"].is_array())
      co_return Error{"list " + served_->path() + ": not a list"};
    for (auto& item : page["items"]) {
      auto observed = cache_.observe(*served_, std::move(item));
      if (!observed) continue;
      seen.insert(observed->key);
      if (!observed->changed) continue;
      updates.push_back(upsertOf(std::move(*observed->changed)));
      if (updates.size() >= kObjectsPerDelivery) deliver_(std::exchange(updates, {}));
    }
    const Json meta = page.value("metadata", Json::object());
    next = meta.value("continue", "");
    resource_version_ = meta.value("resourceVersion", "");
  } while (!next.empty());
  // What the cache knew of this kind but the list no longer has was deleted meanwhile.
  for (const auto& key : cache_.keysOfKind(kind_.kind))
    if (!seen.count(key) && cache_.forget(key)) updates.push_back(deleteOf(key));
  if (!updates.empty()) deliver_(std::move(updates));
  co_return ListEnd::Listed;
}

asio::awaitable<Reflector::WatchEnd> Reflector::watch() {
  std::string target = served_->path() + "?watch=1&allowWatchBookmarks=true&resourceVersion=" + resource_version_ +
                       "&timeoutSeconds=" + std::to_string(watchTimeoutSeconds());
  if (!kind_.label_selector.empty()) target += "&labelSelector=" + kind_.label_selector;
  WatchEnd end = WatchEnd::Resume;
  std::function<void(std::vector<std::string>&)> on_lines = [&](std::vector<std::string>& lines) { handleEvents(lines, end); };
  auto response = co_await client_.stream(std::move(target), std::move(on_lines));
  if (!response) {
    spdlog::warn("kubernetes: watch {}: {}", kind_.kind, response.error().message);
    co_return WatchEnd::Failed;
  }
  if (response->status == 410) co_return WatchEnd::Relist;
  if (response->status == 404) co_return WatchEnd::Gone;
  if (response->status != 200) {
    spdlog::warn("kubernetes: watch {}: {}", kind_.kind, response->describe());
    co_return WatchEnd::Failed;
  }
  co_return end;
}

void Reflector::handleEvents(std::vector<std::string>& lines, WatchEnd& end) {
  std::vector<store::SourceUpdate> updates;
  for (auto& line : lines) {
    if (end != WatchEnd::Resume) break;  // the stream already said it's over
    auto event = Json::parse(line, nullptr, false);
    if (!event.is_object() || !event.contains("object") || !event["object"].is_object()) {
      spdlog::warn("kubernetes: watch {}: not an event: {}", kind_.kind, line.substr(0, 200));
      continue;
    }
    const std::string type = event.value("type", "");
    Json& object = event["object"];
    if (type == "ERROR") {
      const int code = object.value("code", 0);
      spdlog::info("kubernetes: watch {}: {} ({})", kind_.kind, object.value("message", ""), code);
      end = code == 410 ? WatchEnd::Relist : WatchEnd::Failed;
      break;
    }
    if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object())
      if (auto rv = meta->find("resourceVersion"); rv != meta->end() && rv->is_string()) resource_version_ = rv->get<std::string>();
    if (type == "BOOKMARK") continue;
    if (type == "DELETED") {
      auto observed = cache_.observe(*served_, std::move(object));
      if (observed && cache_.forget(observed->key)) updates.push_back(deleteOf(observed->key));
    } else if (type == "ADDED" || type == "MODIFIED") {
      auto observed = cache_.observe(*served_, std::move(object));
      if (observed && observed->changed) updates.push_back(upsertOf(std::move(*observed->changed)));
    }
  }
  if (!updates.empty()) deliver_(std::move(updates));
}

void Reflector::deleteAll() {
  std::vector<store::SourceUpdate> updates;
  for (const auto& key : cache_.keysOfKind(kind_.kind))
    if (cache_.forget(key)) updates.push_back(deleteOf(key));
  if (!updates.empty()) deliver_(std::move(updates));
}

}  // namespace gatehouse::providers::kube
