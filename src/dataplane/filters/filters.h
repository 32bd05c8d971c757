#pragma once
// Applying a rule's (or backendRef's) compiled filters to the internal request/response model.
// The order follows the spec: redirect short-circuits; otherwise header modifiers and rewrites
// change the request sent upstream; response header modifiers change the reply.
#include <optional>

#include "dataplane/http/message.h"
#include "snapshot/snapshot.h"

namespace gatehouse::filters {

// The redirect response for `request` (Location built per the HTTPRoute RequestRedirect rules:
// scheme/hostname/port/path defaults from the request; default ports omitted), or nullopt.
std::optional<http::Response> redirectFor(const snapshot::Filters& filters, const snapshot::PathMatch& matched,
                                          const http::Request& request);

// RequestHeaderModifier then URLRewrite (hostname, path full/prefix relative to `matched`).
void applyRequestFilters(const snapshot::Filters& filters, const snapshot::PathMatch& matched, http::Request& request);

// ResponseHeaderModifier.
void applyResponseFilters(const snapshot::Filters& filters, http::Response& response);

// remove, then set, then add; only the first entry of a name counts in each list; add appends
// ",value" to the last field of that name (a new field when absent, or for Set-Cookie).
void applyHeaderModifier(const snapshot::HeaderModifier& modifier, http::Headers& headers);

}  // namespace gatehouse::filters
