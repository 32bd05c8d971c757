#pragma once
// Gateway API match precedence (HTTPRouteRule.matches, "continuing on ties"):
//   1. "Exact" path match;
//   2. "PathPrefix" path match with the largest number of characters;
//   3. method match;
//   4. largest number of header matches;
//   5. largest number of query param matches.
// RegularExpression paths are implementation-specific: Gatehouse ranks them after Exact and
// PathPrefix (a regex is the least predictable match, so any literal path the user wrote wins),
// and among themselves all regex paths tie, whatever the pattern; criteria 3-5 then apply.
// Exact paths compare by length too (two different Exact values never match the same request,
// so this only makes the order total without changing any routing decision).
//
// Header and query param matches count once per distinct name: the spec says only the first
// entry of an equivalent name (case-insensitive for headers, exact for query params) is
// considered, so the duplicates neither match nor add precedence.
//
// `precedes` is a strict weak ordering that returns false on ties: the translator sorts entries
// already ordered by the spec's tie-breakers (oldest route, then "namespace/name", then rule and
// match order) with std::stable_sort(..., precedes).
#include <cstddef>
#include <string>

#include "snapshot/snapshot.h"

namespace gatehouse::snapshot {

bool precedes(const RouteMatch& a, const RouteMatch& b);

// The criterion of the list above that puts `a` before `b`, in words ("longer PathPrefix (6 over
// 1 characters)"); empty when precedes(a, b) is false.
std::string precedenceReason(const RouteMatch& a, const RouteMatch& b);

// Distinct header names (case-insensitive) / query param names (exact) of the match.
size_t effectiveHeaderCount(const RouteMatch& m);
size_t effectiveQueryParamCount(const RouteMatch& m);

}  // namespace gatehouse::snapshot
