#include "providers/kube/leader_election.h"

#include <unistd.h>

#include <random>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/chrono.h>
#include <nlohmann/json.hpp>

#include "common/log.h"

namespace gatehouse::providers::kube {

namespace asio = boost::asio;
using Json = nlohmann::json;
using namespace std::chrono;

LeaseOptions LeaseOptions::forDuration(seconds duration) {
  LeaseOptions out;
  out.duration = duration;
  out.renew_deadline = duration_cast<milliseconds>(duration) * 2 / 3;
  out.retry_period = duration_cast<milliseconds>(duration) * 2 / 15;
  return out;
}

std::string defaultIdentity() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::mt19937_64 rng(std::random_device{}());
  return fmt::format("{}_{:08x}", host, static_cast<uint32_t>(rng()));
}

std::string microTime(system_clock::time_point t) {
  auto micros = duration_cast<microseconds>(t.time_since_epoch()).count() % 1000000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06d}Z", fmt::gmtime(system_clock::to_time_t(t)), micros);
}

namespace {
milliseconds jitter(milliseconds most) {
  static thread_local std::mt19937 rng(std::random_device{}());
  return milliseconds(std::uniform_int_distribution<long long>(0, most.count())(rng));
}
}  // namespace

std::string LeaderElector::path() const {
  return "/apis/coordination.k8s.io/v1/namespaces/" + options_.ns + "/leases/" + options_.name;
}

asio::awaitable<void> LeaderElector::run() {
  auto last_renewed = steady_clock::now();
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    const bool held = co_await tryAcquireOrRenew();
    const auto now = steady_clock::now();
    if (held) last_renewed = now;
    if (held && !leading_) {
      leading_ = true;
      spdlog::info("kubernetes: leading ({} holds Lease {}/{}): writing status", options_.identity, options_.ns, options_.name);
      on_change_(true);
    } else if (!held && leading_ && now - last_renewed > options_.renew_deadline) {
      leading_ = false;
      spdlog::warn("kubernetes: lost Lease {}/{}: status writes stop; traffic is served as before", options_.ns, options_.name);
      on_change_(false);
    }
    // Candidates spread their attempts (client-go's jitter factor 1.2); the leader renews on time.
    auto wait = options_.retry_period;
    if (!leading_) wait += jitter(options_.retry_period / 5);
    timer.expires_after(wait);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<bool> LeaderElector::tryAcquireOrRenew() {
  const auto now = system_clock::now();
  std::string lease_path = path();  // not a temporary in co_await: see reflector.cc
  auto response = co_await client_.request("GET", lease_path);
  auto report = [this](const std::string& what) {
    if (!reported_error_) spdlog::warn("kubernetes: Lease {}/{}: {}", options_.ns, options_.name, what);
    reported_error_ = true;
  };
  if (!response) {
    report(response.error().message);
    co_return false;
  }
  Json spec = {{"holderIdentity", options_.identity},
               {"leaseDurationSeconds", duration_cast<seconds>(options_.duration).count()},
               {"renewTime", microTime(now)}};
  if (response->status == 404) {
    spec["acquireTime"] = microTime(now);
    spec["leaseTransitions"] = 0;
    Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata", {{"name", options_.name}, {"namespace", options_.ns}}},
                  {"spec", spec}};
    std::string leases = "/apis/coordination.k8s.io/v1/namespaces/" + options_.ns + "/leases", body = lease.dump();
    auto created = co_await client_.request("POST", std::move(leases), std::move(body), "application/json");
    if (!created) {
      report(created.error().message);
      co_return false;
    }
    if (created->status != 201 && created->status != 200) {
      if (created->status != 409) report("create: " + created->describe());
      co_return false;
    }
    reported_error_ = false;
    co_return true;
  }
  if (response->status != 200) {
    report(response->describe());
    co_return false;
  }
  Json lease = Json::parse(response->body, nullptr, false);
  if (!lease.is_object()) co_return false;
  const Json current = lease.value("spec", Json::object());
  const std::string holder = current.value("holderIdentity", "");
  const std::string observed = holder + " " + current.value("renewTime", "");
  if (observed != observed_) {
    observed_ = observed;
    observed_at_ = steady_clock::now();
  }
  const auto their_duration = seconds(current.value("leaseDurationSeconds", 0));
  if (!holder.empty() && holder != options_.identity && steady_clock::now() < observed_at_ + their_duration)
    co_return false;  // held by another, and not expired
  const bool ours = holder == options_.identity;
  spec["acquireTime"] = ours ? current.value("acquireTime", microTime(now)) : microTime(now);
  spec["leaseTransitions"] = current.value("leaseTransitions", 0) + (ours ? 0 : 1);
  lease["spec"] = spec;
  std::string body = lease.dump();
  auto updated = co_await client_.request("PUT", lease_path, std::move(body), "application/json");
  if (!updated) {
    report(updated.error().message);
    co_return false;
  }
  if (updated->status != 200) {
    if (updated->status != 409) report("update: " + updated->describe());
    co_return false;
  }
  reported_error_ = false;
  co_return true;
}

asio::awaitable<void> LeaderElector::release() {
  if (!leading_) co_return;
  std::string lease_path = path();  // not a temporary in co_await: see reflector.cc
  auto response = co_await client_.request("GET", lease_path);
  if (!response || response->status != 200) co_return;
  Json lease = Json::parse(response->body, nullptr, false);
  if (!lease.is_object() || lease["spec"].value("holderIdentity", "") != options_.identity) co_return;
  const auto now = microTime(system_clock::now());
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = now;
  std::string body = lease.dump();
  co_await client_.request("PUT", lease_path, std::move(body), "application/json");
  leading_ = false;
  on_change_(false);
}

}  // namespace gatehouse::providers::kube
