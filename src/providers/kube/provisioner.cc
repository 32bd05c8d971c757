#include "providers/kube/provisioner.h"

#include <set>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/backoff.h"
#include "common/log.h"

namespace gatehouse::providers::kube {

namespace asio = boost::asio;
using model::Json;

namespace {

constexpr const char* kKinds[] = {"Deployment", "Service", "ServiceAccount"};

// The path of a data-plane object.
std::string pathOf(const std::string& kind, const std::string& ns, const std::string& name) {
  const std::string base = kind == "Deployment" ? "/apis/apps/v1/namespaces/" + ns + "/deployments/"
                           : kind == "Service"  ? "/api/v1/namespaces/" + ns + "/services/"
                                                : "/api/v1/namespaces/" + ns + "/serviceaccounts/";
  return base + name;
}

}  // namespace

Provisioner::Provisioner(asio::io_context& io, ApiClient& client, ObjectCache& cache, ProvisionerOptions options)
    : io_(io), client_(client), cache_(cache), options_(std::move(options)), wake_(io, asio::steady_timer::time_point::max()) {}

void Provisioner::setDesired(std::vector<ProvisionRequest> gateways) {
  {
    std::lock_guard lock(mu_);
    desired_ = std::move(gateways);
    known_ = true;
    changed_ = true;
  }
  asio::post(io_, [this] { wake_.cancel(); });
}

void Provisioner::setProvisioned(std::map<model::ObjectKey, std::string> services) {
  if (services == provisioned_) return;
  provisioned_ = std::move(services);
  {
    std::lock_guard lock(mu_);
    changed_ = true;
  }
  wake_.cancel();
}

void Provisioner::setLeader(bool leader) {
  leader_ = leader;
  if (leader) {
    std::lock_guard lock(mu_);
    changed_ = true;
  }
  wake_.cancel();
}

asio::awaitable<bool> Provisioner::readOwnImage() {
  const auto slash = options_.own_pod.find('/');
  std::string path = "/api/v1/namespaces/" + options_.own_pod.substr(0, slash) + "/pods/" + options_.own_pod.substr(slash + 1);
  auto response = co_await client_.request("GET", std::move(path));
  if (!response || response->status != 200) {
    spdlog::error("provisioner: reading this controller's Pod {} for the data planes' image: {}", options_.own_pod,
                  response ? response->describe() : response.error().message);
    co_return false;
  }
  const Json pod = Json::parse(response->body, nullptr, false);
  const Json containers = pod.is_object() ? pod.value("spec", Json::object()).value("containers", Json::array()) : Json();
  if (!containers.is_array() || containers.empty() || !containers[0].value("image", Json()).is_string()) {
    spdlog::error("provisioner: this controller's Pod {} names no container image", options_.own_pod);
    co_return false;
  }
  options_.image = containers[0]["image"].get<std::string>();
  spdlog::info("provisioner: data planes run this controller's image {}", options_.image);
  co_return true;
}

asio::awaitable<bool> Provisioner::apply(const Json& object) {
  const std::string key = object["kind"].get<std::string>() + "/" + object["metadata"]["namespace"].get<std::string>() + "/" +
                          object["metadata"]["name"].get<std::string>();
  std::string body = object.dump();
  auto done = applied_.find(key);
  if (done != applied_.end() && done->second == body) co_return true;
  std::string target = pathOf(object["kind"], object["metadata"]["namespace"], object["metadata"]["name"]) +
                       "?fieldManager=gatehouse&force=true";
  std::string sent = body;
  auto response = co_await client_.request("PATCH", std::move(target), std::move(sent), "application/apply-patch+yaml");
  if (!response || (response->status != 200 && response->status != 201)) {
    spdlog::error("provisioner: applying {}: {}", key, response ? response->describe() : response.error().message);
    co_return false;
  }
  spdlog::info("provisioner: applied {}", key);
  applied_[key] = std::move(body);
  co_return true;
}

asio::awaitable<bool> Provisioner::removeOrphans(const std::vector<ProvisionRequest>& ours) {
  std::set<std::string> keep;
  for (const auto& gateway : ours) keep.insert(gateway.ns + "/" + gateway.name);
  bool ok = true;
  const auto services = provisioned_;  // setProvisioned may replace it while this waits
  for (const auto& [service, gateway] : services) {
    if (keep.count(gateway) || !leader_) continue;
    spdlog::info("provisioner: Gateway {} is no longer ours: deleting its data plane {}/{}", gateway, service.ns, service.name);
    for (const std::string kind : kKinds) {
      auto response = co_await client_.request("DELETE", pathOf(kind, service.ns, service.name));
      if (!response || (response->status != 200 && response->status != 202 && response->status != 404)) {
        spdlog::error("provisioner: deleting {}/{}/{}: {}", kind, service.ns, service.name,
                      response ? response->describe() : response.error().message);
        ok = false;
        continue;
      }
      applied_.erase(kind + "/" + service.ns + "/" + service.name);
    }
  }
  co_return ok;
}

asio::awaitable<void> Provisioner::run() {
  Backoff backoff;
  for (;;) {
    std::vector<ProvisionRequest> desired;
    bool changed = false, known = false;
    {
      std::lock_guard lock(mu_);
      if (leader_ && changed_) {
        desired = desired_;
        known = known_;
        changed = true;
        changed_ = false;
      }
    }
    if (!changed) {
      wake_.expires_at(asio::steady_timer::time_point::max());
      boost::system::error_code ec;
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    bool failed = false;
    if (options_.image.empty()) {
      failed = !(co_await readOwnImage());
      if (failed) desired.clear();  // nothing to render without the image: retried after a backoff
    }
    if (known && !failed) failed = !(co_await removeOrphans(desired));
    for (const auto& gateway : desired) {
      if (!gateway.accepted) continue;
      const ObjectCache::Entry* seen = cache_.find({"Gateway", gateway.ns, gateway.name});
      if (!seen || seen->uid.empty()) continue;  // not seen by the watch yet: no owner to name
      const DataPlaneSpec spec{gateway.ns,           gateway.name,        seen->uid,
                               gateway.infrastructure, gateway.parameters,  gateway.ports,
                               gateway.addresses,      options_.image,      options_.controller,
                               options_.controller_ca};
      for (const Json& object : renderDataPlane(spec)) {
        if (!leader_) break;
        failed |= !(co_await apply(object));
      }
    }
    if (failed) {
      {
        std::lock_guard lock(mu_);
        changed_ = true;
      }
      asio::steady_timer wait(io_, backoff.next());
      boost::system::error_code ec;
      co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    } else {
      backoff.reset();
    }
  }
}

}  // namespace gatehouse::providers::kube
