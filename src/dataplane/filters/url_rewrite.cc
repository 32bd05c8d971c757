// URLRewrite: the request as it goes upstream.
//
// The hostname replaces the authority (Host / :authority) entirely, port included: the
// spec's hostname is "the value to be used to replace the Host header value during forwarding".
// A path rewrite changes the path part only; the query string is kept as received.
#include "dataplane/filters/filters.h"
#include "dataplane/filters/path_modifier.h"
#include "dataplane/http/path.h"

namespace gatehouse::filters {

void applyRequest(const snapshot::UrlRewrite& rewrite, RequestFilterContext& context) {
  http::Request& request = context.request;
  const snapshot::PathMatch& matched = context.matched;
  if (rewrite.hostname) request.authority = *rewrite.hostname;
  if (rewrite.path) {
    const std::string_view path = http::pathPart(request.path);
    if (std::optional<std::string> newPath = modifiedPath(*rewrite.path, matched, path)) {
      newPath->append(std::string_view(request.path).substr(path.size()));
      request.path = std::move(*newPath);
    }
  }
}

}  // namespace gatehouse::filters
