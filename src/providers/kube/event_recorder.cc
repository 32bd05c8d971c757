#include "providers/kube/event_recorder.h"


#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/log.h"
#include "common/backoff.h"

namespace gatehouse::providers::kube {

namespace asio = boost::asio;
using model::Json;

namespace {

constexpr std::string_view kSourcePrefix = "kube:";

// The object a "kube:Kind/ns/name" (or "kube:Kind/name") source names.
std::optional<model::ObjectKey> keyOfSource(const std::string& source) {
  if (!source.starts_with(kSourcePrefix)) return std::nullopt;
  std::string_view rest(source);
  rest.remove_prefix(kSourcePrefix.size());
  auto first = rest.find('/'), last = rest.rfind('/');
  if (first == std::string_view::npos) return std::nullopt;
  model::ObjectKey key{std::string(rest.substr(0, first)), "", std::string(rest.substr(last + 1))};
  if (last != first) key.ns = std::string(rest.substr(first + 1, last - first - 1));
  return key;
}

}  // namespace

EventRecorder::EventRecorder(asio::io_context& io, ApiClient& client, ObjectCache& cache, std::string controller_name,
                             std::string instance)
    : io_(io),
      client_(client),
      cache_(cache),
      controller_name_(std::move(controller_name)),
      instance_(std::move(instance)),
      wake_(io, asio::steady_timer::time_point::max()) {}

void EventRecorder::setErrors(const std::vector<store::ConfigError>& errors) {
  std::map<std::string, Pending> current;
  for (const auto& error : errors) {
    auto key = keyOfSource(error.source);
    if (!key) continue;
    std::string message = error.field.empty() ? error.reason : error.field + ": " + error.reason;
    current.emplace(key->str() + ": " + message, Pending{*key, std::move(message)});
  }
  {
    std::lock_guard lock(mu_);
    // An error that went away and comes back is recorded again.
    std::erase_if(recorded_, [&](const std::string& id) { return !current.count(id); });
    current_ = std::move(current);
  }
  asio::post(io_, [this] { wake_.cancel(); });
}

void EventRecorder::setLeader(bool leader) {
  leader_ = leader;
  wake_.cancel();
}

asio::awaitable<void> EventRecorder::run() {
  Backoff backoff;
  for (;;) {
    std::vector<std::pair<std::string, Pending>> todo;
    if (leader_) {
      std::lock_guard lock(mu_);
      for (const auto& [id, event] : current_)
        if (!recorded_.count(id)) todo.emplace_back(id, event);
    }
    bool failed = false;
    for (const auto& [id, event] : todo) {
      if (!co_await record(event)) {
        failed = true;
        break;
      }
      std::lock_guard lock(mu_);
      recorded_.insert(id);
    }
    wake_.expires_at(failed ? asio::steady_timer::clock_type::now() + backoff.next() : asio::steady_timer::time_point::max());
    if (!failed) backoff.reset();
    boost::system::error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<bool> EventRecorder::record(const Pending& event) {
  const auto* entry = cache_.find(event.key);
  if (!entry) co_return true;  // gone: nothing to attach the event to
  const std::string ns = event.key.ns.empty() ? "default" : event.key.ns;
  const std::string now = store::nowRfc3339();
  Json involved = {{"kind", event.key.kind}, {"name", event.key.name}, {"apiVersion", entry->api_version},
                   {"uid", entry->uid}, {"resourceVersion", entry->resource_version}};
  if (!event.key.ns.empty()) involved["namespace"] = event.key.ns;
  Json body = {{"apiVersion", "v1"},
               {"kind", "Event"},
               {"metadata", {{"generateName", event.key.name + "."}, {"namespace", ns}}},
               {"involvedObject", involved},
               {"type", "Warning"},
               {"reason", "InvalidConfiguration"},
               {"message", event.message},
               {"source", {{"component", "gatehouse"}}},
               {"reportingComponent", controller_name_},
               {"reportingInstance", instance_},
               {"firstTimestamp", now},
               {"lastTimestamp", now},
               {"count", 1}};
  std::string path = "/api/v1/namespaces/" + ns + "/events", payload = body.dump();  // not temporaries: see reflector.cc
  auto response = co_await client_.request("POST", std::move(path), std::move(payload), "application/json");
  if (!response) {
    spdlog::warn("kubernetes: event on {}: {}", event.key.str(), response.error().message);
    co_return false;
  }
  if (response->status != 201 && response->status != 200) {
    spdlog::warn("kubernetes: event on {}: {}", event.key.str(), response->describe());
    // Forbidden or invalid will not heal by retrying; anything else may.
    co_return response->status == 403 || response->status == 422 || response->status == 404;
  }
  co_return true;
}

}  // namespace gatehouse::providers::kube
