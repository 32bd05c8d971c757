#pragma once
// Why a route is or is not attached, parentRef by parentRef and listener by listener, in the
// attachment core's own terms (attachment.cc judges, this spells the verdicts out) for
// `gatehouse explain`.
#include <cstdint>
#include <string>
#include <vector>

#include "model/resource.h"
#include "translator/conditions.h"

namespace gatehouse::translator {

struct ListenerExplanation {
  std::string owner;  // "Gateway ns/name" or "ListenerSet ns/name": who declares it
  std::string name, protocol, hostname;  // hostname "" = any
  int64_t port = 0;
  std::string namespaces;          // allowedRoutes.namespaces: "All", "Same (ns)", "Selector (k=v, ...)"
  std::vector<std::string> kinds;  // the kinds it accepts (supportedKinds)
  // "Attached", or the route parent reason this listener alone would give: NoMatchingParent,
  // NotAllowedByListeners, NoMatchingListenerHostname.
  std::string outcome;
  std::string detail;              // what decided, in words
  std::vector<std::string> hosts;  // Attached: the intersected hostnames ("" = any)
};

struct ParentExplanation {
  model::Json parent_ref;  // as in status.parents[].parentRef
  bool ours = false;       // names one of this controller's Gateways or ListenerSets
  std::vector<ListenerExplanation> listeners;  // those its object declares, in spec order
  Conditions conditions;   // as in the status (Accepted, ResolvedRefs, gatehouse.dev/Shadowed)
};

struct RouteExplanation {
  model::ObjectKey route;
  int64_t generation = 0;
  std::vector<std::string> hostnames;
  std::vector<ParentExplanation> parents;  // one per parentRef, in spec order
};

}  // namespace gatehouse::translator
