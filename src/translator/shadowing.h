#pragma once
// Shadowed rules: a match that can never be chosen because a match of another rule, earlier in
// the same host's precedence order, matches every request it matches. Only what can be proved
// from the match conditions alone counts (no regex reasoning beyond identical patterns), so a
// rule reported shadowed is certainly dead, and a dead rule may go unreported.
//
// As precedence ranks a match with more conditions or a longer path first, what gets shadowed
// in practice is a tie lost to an older route or an earlier rule (the same match written twice),
// a pattern behind "/" (patterns rank after every prefix), and "/api" behind "/api/" (which has
// one character more and matches the same paths).
#include <cstddef>
#include <optional>
#include <vector>

#include "snapshot/snapshot.h"

namespace gatehouse::translator {

// True when every request `loser` matches is also matched by `winner` (see router.h matches()):
//  * path: Exact covers the same Exact value; PathPrefix covers an Exact path it prefix-matches
//    and a PathPrefix with it as element prefix, and "/" covers every pattern too;
//    RegularExpression covers only the same pattern;
//  * method: the winner has none, or the loser's;
//  * headers and query params: each of the winner's (first of a name, as the matcher counts
//    them) is among the loser's with the same name, type and value.
bool covers(const snapshot::RouteMatch& winner, const snapshot::RouteMatch& loser);

// `matches` in precedence order (one host's candidates) with the rule each belongs to (any id;
// equal ids are one rule). Returns, for each position, the earliest earlier position of another
// rule whose match covers it. Indexed by path and by each winner's rarest condition, so a group
// of n matches costs about n lookups rather than n^2 comparisons; a loser whose lookups find
// more than kScanBudget candidates to compare stops there and is reported as not shadowed.
inline constexpr size_t kScanBudget = 64;
std::vector<std::optional<size_t>> findCoveringMatches(const std::vector<const snapshot::RouteMatch*>& matches,
                                                       const std::vector<size_t>& rule_ids);

}  // namespace gatehouse::translator
