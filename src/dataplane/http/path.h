#pragma once
// Request-target helpers shared by the router and the filters: splitting path and query, the
// Gateway API element-wise prefix match, query parameter lookup, and path normalisation.
//
// Percent-encoding and "//" (the choice, and why):
//   The router compares bytes: it never decodes while matching. To make byte comparison safe the
//   connection manager runs normalizePath() once on every request before routing and forwards
//   the normalised target upstream, so the gateway and the backend see the same path:
//     * %XX of an unreserved character (ALPHA DIGIT - . _ ~) is decoded, any other %XX gets
//       upper-case hex (RFC 3986 6.2.2.1-2: equivalent URIs); a malformed % escape is rejected;
//     * %2F and %5C (escaped "/" and "\") follow EscapedSlashes: rejected (the default), decoded
//       to "/" before the steps below, or kept encoded as part of their segment;
//     * a raw "\" is rejected (not a URI character; HTTP/1.1's parser refuses it already);
//     * runs of "/" are merged into one ("//admin" routes and is forwarded as "/admin");
//     * "." and ".." segments are removed (RFC 3986 5.2.4), ".." never climbs above "/";
//       decoded "%2E" counts as ".";
//     * the query string is left exactly as received.
//   Without this a rule for "/admin" could be bypassed with "//admin" or "/%61dmin" while the
//   backend still serves /admin. Route values are validated by the CRD to contain no "//", "/./",
//   "/../", "%2F", so a normalised request path compares with them byte for byte.
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/options.h"
#include "snapshot/path_prefix.h"

namespace gatehouse::http {

// "/a/b?x=1" -> "/a/b"; the whole target when there is no '?'.
inline std::string_view pathPart(std::string_view target) {
  size_t q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

// "/a/b?x=1" -> "x=1"; empty when there is no '?'.
inline std::string_view queryPart(std::string_view target) {
  size_t q = target.find('?');
  return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

// Gateway API PathPrefix (snapshot/path_prefix.h).
using snapshot::pathPrefixMatches;

// The raw (still percent-encoded) value of the first query parameter whose percent-decoded name
// equals `name` exactly (case-sensitive). "a" and "a=" both give an empty value.
std::optional<std::string_view> findQueryParam(std::string_view query, std::string_view name);

// True when `raw` percent-decodes to exactly `expected` (an invalid escape stands for itself).
bool percentDecodedEquals(std::string_view raw, std::string_view expected);

// Percent-decodes `raw` (an invalid escape stands for itself; '+' is not a space).
std::string percentDecode(std::string_view raw);

// Normalises an origin-form request-target in place (see the comment at the top); false when it
// is not a valid origin-form target (does not start with '/', malformed % escape, control
// character, space or '#' in the path): the caller answers 400. A target that is already normal
// is left untouched without allocating.
bool normalizePath(std::string& target,
                   dataplane::EscapedSlashes escaped_slashes = dataplane::EscapedSlashes::Reject);

}  // namespace gatehouse::http
