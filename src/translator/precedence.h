#pragma once
// Gateway API HTTPRoute precedence, in one place. Within a host, matches are ordered by:
//  1. Exact path, then PathPrefix by longest value (RegularExpression after both: the spec
//     leaves it implementation-specific; a regex cannot be ranked by length meaningfully),
//  2. method match present, 3. most header matches, 4. most query param matches,
// then (by the caller) oldest route creation, route "namespace/name", rule order, match order.
#include "snapshot/snapshot.h"

namespace gatehouse::translator {

// True when `a` must be tried before `b` on match specificity alone; false on ties.
bool precedes(const snapshot::RouteMatch& a, const snapshot::RouteMatch& b);

}  // namespace gatehouse::translator
