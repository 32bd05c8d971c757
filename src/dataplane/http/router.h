#pragma once
// Routing: picks the listener of a socket by Host, the route table by host name, the first
// matching entry (entries are sorted by Gateway API precedence), then a weighted backend.
// Pure functions of (snapshot, request); no I/O, no allocation beyond the returned strings.
#include <cstdint>
#include <optional>
#include <string_view>

#include "dataplane/http/message.h"
#include "snapshot/snapshot.h"

namespace gatehouse::http {

struct RouteResult {
  const snapshot::Listener* listener = nullptr;  // null: no listener of the socket takes this host
  const snapshot::RouteEntry* entry = nullptr;   // null: no route matched (404)
  const snapshot::Rule* rule = nullptr;
};

// Host without port, lower-cased, without a trailing dot. An IPv6 literal keeps its brackets
// ("[::1]:8080" -> "[::1]"), so it is usable as is in a Location and never matches a hostname.
std::string hostWithoutPort(std::string_view authority);

// Routes `request` (whose path was normalised by normalizePath(), see path.h) within `socket`.
// The match is on the path part only (before '?'), byte for byte; see RouteMatch semantics in
// matches() below.
RouteResult route(const snapshot::Socket& socket, const Request& request);

// The building blocks of route(), exposed for tests and for other route kinds. `host` is
// normalised (as hostWithoutPort returns it).
//
// selectListener: the listener whose hostname matches `host` most specifically: an exact name,
// else the wildcard ("*.suffix", one or more labels) with the longest suffix, else the first
// listener without hostname; null when none matches.
const snapshot::Listener* selectListener(const snapshot::Socket& socket, std::string_view host);
// selectTable: exact host, else the first (= longest, the snapshot keeps them longest first)
// wildcard suffix that matches, else `any`; null when none.
const snapshot::RouteTable* selectTable(const snapshot::HostTable& hosts, std::string_view host);
// True when every condition of `match` holds (conditions are ANDed):
//  * path: Exact = byte equality; PathPrefix = element-wise prefix (pathPrefixMatches in path.h);
//    RegularExpression = RE2 full match on the path part;
//  * method: exact, case-sensitive;
//  * headers: name case-insensitive; the value compared is the field's value, or for a header
//    repeated in the request all its values joined with "," (RFC 9110 5.3, as the spec's header
//    match text advises); Exact is case-sensitive equality, RegularExpression an RE2 full match.
//    "host" matches the request authority as received. Only the first entry of a name counts;
//  * query params: name exact and case-sensitive after percent-decoding, value of the first
//    occurrence, percent-decoded ('+' is not a space), then Exact equality or RE2 full match.
//    Only the first entry of a name counts.
bool matches(const snapshot::RouteMatch& match, const Request& request);

// HTTPS: whether a request routed to `listener` (the one its authority selects; see route())
// arrived on a connection whose TLS server name selects another listener of the socket. The
// Gateway API asks for 421 Misdirected Request then. False without a server name (the
// certificate was the default one, no listener was claimed) and when `listener` is null (404).
bool misdirected(const snapshot::Socket& socket, std::string_view server_name, const snapshot::Listener* listener);

// Weighted choice among the rule's backends; `random` is a uniformly distributed value the
// caller draws (per-worker PRNG). Returns null when the rule has no backend with weight > 0.
const snapshot::WeightedBackend* pickBackend(const snapshot::Rule& rule, uint64_t random);

}  // namespace gatehouse::http
