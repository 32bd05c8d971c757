#pragma once
// The kinds Gatehouse reads from the API server, and which version of each the server serves.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "providers/kube/api_client.h"

namespace gatehouse::providers::kube {

struct WatchedKind {
  std::string kind;    // as the store knows it: "HTTPRoute"
  std::string group;   // "" for core
  std::vector<std::string> versions;  // preferred first
  std::string plural;  // "httproutes"
  bool namespaced = true;
  // Core kinds every server serves; the others come from CRDs that may not be installed.
  bool always_served = false;
  std::string label_selector;  // narrows the list and watch (URL-encoded)
  // The status is part of what is delivered (a change of it alone is a change), instead of being
  // kept aside for status writes.
  bool keep_status = false;
};

const std::vector<WatchedKind>& watchedKinds();

// The Services the provisioner made for data planes (label gatehouse.dev/data-plane), status
// included: their load-balancer addresses become their Gateways' status.addresses. Watched apart
// from the Services every route may name, whose status is not read.
const WatchedKind& provisionedServices();

// A kind at the version the server serves it.
struct ServedKind {
  const WatchedKind* kind = nullptr;
  std::string version;
  std::string apiVersion() const { return kind->group.empty() ? version : kind->group + "/" + version; }
  // "/apis/GROUP/VERSION[/namespaces/NS]/PLURAL[/NAME]"
  std::string path(const std::string& ns = {}, const std::string& name = {}) const;
};

// Asks the server's discovery which version of `kind` it serves: nullopt when none of ours (the
// CRD is not installed, or only at a version we don't read), an Error when it could not be asked.
class Discovery {
 public:
  explicit Discovery(ApiClient& client) : client_(client) {}
  boost::asio::awaitable<Result<std::optional<ServedKind>>> find(const WatchedKind& kind);
  // Forgets what the server said, so the next find() asks again.
  void forget() { resources_.clear(); }

 private:
  ApiClient& client_;
  std::map<std::string, std::vector<std::string>> resources_;  // "group/version" -> plurals; absent: not asked
};

}  // namespace gatehouse::providers::kube
