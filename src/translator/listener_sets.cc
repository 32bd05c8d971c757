// ListenerSets: which of them add listeners to a Gateway (its spec.allowedListeners), in the
// precedence the spec gives their listeners.
#include <algorithm>

#include "translator/references.h"
#include "translator/state.h"

namespace gatehouse::translator {

namespace {

bool allowedBy(const model::AllowedListeners& allowed, const store::View& view, const std::string& gw_ns,
               const std::string& set_ns) {
  const std::string& from = allowed.namespaces_from;
  if (from == "All") return true;
  if (from == "Same") return set_ns == gw_ns;
  return from == "Selector" && allowed.selector.matches(namespaceLabels(view, set_ns));  // else None
}

}  // namespace

// Records every ListenerSet whose parentRef names the Gateway `gw_name`; returns the allowed
// ones oldest first, ties by namespace/name.
std::vector<const ListenerSetState*> Translator::State::listenerSets(const std::string& gw_name,
                                                                     const GatewayState& gw) {
  std::vector<const ListenerSetState*> allowed;
  for (const auto& r : view->ofKind("ListenerSet")) {
    const auto* spec = r->as<model::ListenerSet>();
    if (!spec) continue;
    const auto& parent = spec->parent;
    if (parent.group != model::kGatewayGroup || parent.kind != "Gateway" || parent.ns + "/" + parent.name != gw_name)
      continue;
    ListenerSetState& set = listener_sets[r->key.ns + "/" + r->key.name];
    set.resource = r;
    set.spec = spec;
    set.gateway = gw_name;
    set.allowed = allowedBy(gw.spec->allowed_listeners, *view, gw.resource->key.ns, r->key.ns);
    if (set.allowed) allowed.push_back(&set);
  }
  std::sort(allowed.begin(), allowed.end(), [](const ListenerSetState* a, const ListenerSetState* b) {
    const auto& ka = a->resource->key;
    const auto& kb = b->resource->key;
    return std::tie(a->resource->creation_timestamp, ka.ns, ka.name) <
           std::tie(b->resource->creation_timestamp, kb.ns, kb.name);
  });
  return allowed;
}

}  // namespace gatehouse::translator
