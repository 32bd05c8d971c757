#pragma once
// Keeps one kind in step with the API server: list, then watch from the list's resourceVersion;
// a watch that ends is resumed from the last version seen (bookmarks included) without a new
// list; 410 Gone means list again, and objects missing from the new list are deleted. Errors
// back off exponentially, with jitter, up to 10 s. A kind the server does not serve, or that
// RBAC forbids listing, is skipped (so the rest is served) and asked for again once a minute.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "providers/kube/api_client.h"
#include "providers/kube/object_cache.h"
#include "providers/kube/watched_kinds.h"
#include "store/store.h"

namespace gatehouse::providers::kube {

class Reflector {
 public:
  using Deliver = std::function<void(std::vector<store::SourceUpdate>)>;

  Reflector(ApiClient& client, Discovery& discovery, ObjectCache& cache, const WatchedKind& kind, Deliver deliver)
      : client_(client), discovery_(discovery), cache_(cache), kind_(kind), deliver_(std::move(deliver)) {}

  // Runs until the io_context stops; `listed` is called once, after the first complete listing
  // (or once the kind is known not to be served).
  boost::asio::awaitable<void> run(std::function<void()> listed);

  // The version the server serves, once discovered (status writes need its path).
  const std::optional<ServedKind>& served() const { return served_; }

 private:
  enum class WatchEnd { Resume, Relist, Gone, Failed };
  // Gone: the kind is not served any more. Forbidden: RBAC does not let us list it.
  enum class ListEnd { Listed, Gone, Forbidden };
  boost::asio::awaitable<Result<ListEnd>> list();
  boost::asio::awaitable<WatchEnd> watch();
  void handleEvents(std::vector<std::string>& lines, WatchEnd& end);
  void deleteAll();

  ApiClient& client_;
  Discovery& discovery_;
  ObjectCache& cache_;
  const WatchedKind& kind_;
  Deliver deliver_;
  std::optional<ServedKind> served_;
  std::string resource_version_;
};

}  // namespace gatehouse::providers::kube
