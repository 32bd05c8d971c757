#pragma once
// A rule's (or backendRef's) compiled filters applied to the internal request/response model.
// Each filter type defines the steps it takes part in, in its own file; the functions at the end
// run a list through one phase, in list order, dispatching each filter by std::visit:
//   answer    before any backend is chosen, a filter may answer the request itself
//             (RequestRedirect); the rule's filters only
//   request   the request as it goes upstream (header modifiers, rewrites; mirrors are chosen)
//   response  the response as it goes downstream (header modifiers; CORS, which also reads the
//             request)
// A new filter type declares its steps below and defines them in its file; nothing else here or
// in the pipeline changes, and the codecs never see filter types.
#include <optional>

#include "dataplane/http/message.h"
#include "snapshot/snapshot.h"

namespace gatehouse::filters {

struct MirrorSelection;

// What a request step may read and change.
struct RequestFilterContext {
  const snapshot::PathMatch& matched;  // the match that chose the rule (prefix rewrites replace it)
  http::Request& request;
  MirrorSelection* mirrors = nullptr;  // where RequestMirror puts its copies; null: not mirrored (upgrades)
};

// ---- steps, per filter type ----------------------------------------------------------------------

// request_redirect.cc: the redirect response (Location built per the HTTPRoute RequestRedirect
// rules: scheme/hostname/port/path defaults from the request; default ports omitted).
std::optional<http::Response> answer(const snapshot::RequestRedirect& redirect, const snapshot::PathMatch& matched,
                                     const http::Request& request);

// header_modifier.cc
void applyRequest(const snapshot::RequestHeaderModifier& modifier, RequestFilterContext& context);
void applyResponse(const snapshot::ResponseHeaderModifier& modifier, http::Response& response);
// remove, then set, then add; only the first entry of a name counts in each list; add appends
// ",value" to the last field of that name (a new field when absent, or for Set-Cookie).
void applyHeaderModifier(const snapshot::HeaderModifier& modifier, http::Headers& headers);

// url_rewrite.cc: hostname, path full/prefix relative to `matched`.
void applyRequest(const snapshot::UrlRewrite& rewrite, RequestFilterContext& context);

// mirror.cc: chooses the copy (with its fraction) into context.mirrors.
void applyRequest(const snapshot::RequestMirror& mirror, RequestFilterContext& context);

// cors.cc: answers preflights; adds the CORS headers for an allowed Origin to actual responses.
std::optional<http::Response> answer(const snapshot::Cors& cors, const snapshot::PathMatch& matched,
                                     const http::Request& request);
void applyResponse(const snapshot::Cors& cors, const http::Request& request, http::Response& response);

// ---- phases over a list (filters.cc) ----------------------------------------------------------

// The first answer a filter of `filters` gives, or nullopt: the request goes on.
std::optional<http::Response> answerFor(const snapshot::Filters& filters, const snapshot::PathMatch& matched,
                                        const http::Request& request);
void applyRequestFilters(const snapshot::Filters& filters, RequestFilterContext& context);
// Whether applyResponseFilters() has anything to do: lets a codec keep its fast path.
bool hasResponseFilters(const snapshot::Filters& filters);
// `request`: the request as it went upstream (after the request filters).
void applyResponseFilters(const snapshot::Filters& filters, const http::Request& request, http::Response& response);

}  // namespace gatehouse::filters
