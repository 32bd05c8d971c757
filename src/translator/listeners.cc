// Listeners of a Gateway and its ListenerSets: the route kinds each serves, conflicts between
// them, and TLS certificates (client certificate validation: frontend_tls.cc).
#include <algorithm>
#include <map>

#include "translator/listener_conflicts.h"
#include "translator/references.h"
#include "translator/state.h"

namespace gatehouse::translator {

using model::ObjectKey;

namespace {

// The earlier listener keeps the port; a later one that conflicts with it is not accepted, also
// when it is unsupported anyway (the conflict is what the user must fix first). The message
// names the other listener only within one owner: a ListenerSet learns nothing of its siblings.
void markConflicts(std::vector<ListenerState>& listeners) {
  for (size_t i = 0; i < listeners.size(); ++i) {
    auto& a = listeners[i];
    for (size_t j = 0; j < i; ++j) {
      auto& b = listeners[j];
      if (!b.accepted) continue;
      const char* why = listenerConflict(*a.spec, *b.spec);
      if (!why) continue;
      const std::string msg = a.owner == b.owner
                                  ? "conflicts with listener " + b.spec->name
                                  : "conflicts with an earlier listener on port " + std::to_string(a.spec->port);
      setCondition(a.conditions, {condition::kConflicted, true, why, msg});
      setCondition(a.conditions, {condition::kAccepted, false, why, msg});
      setCondition(a.conditions, {condition::kProgrammed, false, why, msg});
      a.accepted = false;
      break;
    }
  }
}

// HTTPS listeners, and TLS listeners in mode Terminate (the CRD requires a mode on TLS
// listeners; Terminate is its default): both load their certificates alike.
bool terminatesTls(const model::Listener& spec) {
  return spec.protocol == "HTTPS" || (spec.protocol == "TLS" && spec.tls && spec.tls->mode == "Terminate");
}

// Listeners that terminate TLS on one socket share its client certificate validation (the
// handshake asks for a certificate before the SNI is known): within a Gateway tls.frontend is
// per port, across Gateways on one address their settings must agree.
bool validationDiffers(const ListenerState& a, const ListenerState& b) {
  return a.spec->port == b.spec->port && terminatesTls(*a.spec) && terminatesTls(*b.spec) &&
         a.client_validation != b.client_validation;
}

}  // namespace

// The spec's distinctness applies to "a set of Listeners" however it is assembled; here, the
// listeners of every Gateway on one address. The Gateway first by name keeps the port; a later
// one's listener that conflicts with it is Conflicted and serves nothing, as within a Gateway.
// So is one whose client certificate validation differs from a TLS listener's on its port.
void Translator::State::sharedAddressConflicts() {
  std::map<std::string, std::vector<std::pair<const std::string*, const ListenerState*>>> by_address;
  for (auto& [name, gw] : gateways) {
    if (!gw.accepted || gw.address.empty()) continue;
    auto& earlier = by_address[gw.address];
    for (auto& ls : gw.listeners) {
      if (!ls.usable) continue;
      for (const auto& [other_gateway, other] : earlier) {
        const char* why = listenerConflict(*ls.spec, *other->spec);
        std::string msg = "conflicts with a listener of Gateway " + *other_gateway + " on " + gw.address + ":" +
                          std::to_string(ls.spec->port);
        if (!why && validationDiffers(ls, *other)) {
          why = reason::kProtocolConflict;
          msg = "its client certificate validation (tls.frontend) differs from that of a listener of Gateway " +
                *other_gateway + " on " + gw.address + ":" + std::to_string(ls.spec->port);
        }
        if (!why) continue;
        setCondition(ls.conditions, {condition::kConflicted, true, why, msg});
        setCondition(ls.conditions, {condition::kAccepted, false, why, msg});
        setCondition(ls.conditions, {condition::kProgrammed, false, why, msg});
        ls.accepted = ls.usable = false;
        break;
      }
    }
    for (const auto& ls : gw.listeners)
      if (ls.usable) earlier.emplace_back(&name, &ls);
  }
}

void Translator::State::listeners(const std::string& gw_name, GatewayState& gw) {
  const auto& key = gw.resource->key;
  for (const auto& l : gw.spec->listeners) {
    ListenerState ls;
    ls.spec = &l;
    ls.owner = {"Gateway", key.ns, key.name};
    gw.listeners.push_back(std::move(ls));
  }
  for (const ListenerSetState* set : listenerSets(gw_name, gw))
    for (const auto& l : set->spec->listeners) {
      ListenerState ls;
      ls.spec = &l;
      ls.owner = {"ListenerSet", set->resource->key.ns, set->resource->key.name};
      gw.listeners.push_back(std::move(ls));
    }
  for (auto& ls : gw.listeners) listenerKinds(ls);
  markConflicts(gw.listeners);
  for (auto& ls : gw.listeners)
    if (ls.accepted && terminatesTls(*ls.spec)) listenerTls(ls);
  for (auto& ls : gw.listeners)
    if (ls.accepted && ls.spec->protocol == "HTTPS" && !findCondition(ls.conditions, condition::kResolvedRefs))
      listenerClientValidation(gw, ls);
  for (auto& ls : gw.listeners) {
    if (!findCondition(ls.conditions, condition::kAccepted))
      setCondition(ls.conditions, {condition::kAccepted, true, reason::kAccepted, ""});
    if (!findCondition(ls.conditions, condition::kResolvedRefs))
      setCondition(ls.conditions, {condition::kResolvedRefs, true, reason::kResolvedRefs, ""});
    if (!findCondition(ls.conditions, condition::kConflicted))
      setCondition(ls.conditions, {condition::kConflicted, false, reason::kNoConflicts, ""});
    const bool ok = ls.accepted && findCondition(ls.conditions, condition::kResolvedRefs)->status &&
                    !findCondition(ls.conditions, condition::kConflicted)->status;
    ls.usable = ok && gw.accepted;
    if (!findCondition(ls.conditions, condition::kProgrammed))
      setCondition(ls.conditions, ok ? Condition{condition::kProgrammed, true, reason::kProgrammed, ""}
                                     : Condition{condition::kProgrammed, false, reason::kInvalid,
                                                 "listener is not valid"});
  }
}

// A listener serves the registered route kinds that its protocol serves; allowedRoutes.kinds
// narrows them, and naming any other kind is InvalidRouteKinds (so is naming a registered kind
// on a listener whose protocol serves none).
void Translator::State::listenerKinds(ListenerState& ls) {
  const std::string& protocol = ls.spec->protocol;
  std::vector<const RouteKind*> served;
  for (const auto* kind : routeKinds())
    if (kind->servesProtocol(protocol)) served.push_back(kind);
  const auto& kinds = ls.spec->allowed_routes.kinds;
  if (served.empty()) {
    ls.accepted = false;
    setCondition(ls.conditions, {condition::kAccepted, false, reason::kUnsupportedProtocol,
                                 "protocol " + protocol + " is not supported"});
    for (const auto& k : kinds)
      if (k.group == model::kGatewayGroup && findRouteKind(k.kind))
        setCondition(ls.conditions, {condition::kResolvedRefs, false, reason::kInvalidRouteKinds,
                                     "allowedRoutes.kinds names a kind this listener cannot serve"});
    return;
  }
  if (kinds.empty()) {
    ls.supported_kinds = std::move(served);
    return;
  }
  bool invalid = false;
  for (const auto& k : kinds) {
    auto it = std::find_if(served.begin(), served.end(), [&](const RouteKind* s) { return s->kind() == k.kind; });
    if (k.group != model::kGatewayGroup || it == served.end()) {
      invalid = true;
    } else if (std::find(ls.supported_kinds.begin(), ls.supported_kinds.end(), *it) == ls.supported_kinds.end()) {
      ls.supported_kinds.push_back(*it);
    }
  }
  if (invalid)
    setCondition(ls.conditions, {condition::kResolvedRefs, false, reason::kInvalidRouteKinds,
                                 "allowedRoutes.kinds names a kind this listener cannot serve"});
}

void Translator::State::listenerTls(ListenerState& ls) {
  static const model::GatewayTls kNoTls;
  const model::GatewayTls& tls = ls.spec->tls ? *ls.spec->tls : kNoTls;
  auto fail = [&](const char* why, const std::string& msg) {
    setCondition(ls.conditions, {condition::kResolvedRefs, false, why, msg});
  };
  if (tls.mode != "Terminate") {
    setCondition(ls.conditions,
                 {condition::kAccepted, false, reason::kUnsupportedTLSMode, "HTTPS listeners terminate TLS"});
    ls.accepted = false;
    return;
  }
  if (tls.certificate_refs.empty())
    return fail(reason::kInvalidCertificateRef, ls.spec->protocol + " listener needs tls.certificateRefs");
  for (const auto& ref : tls.certificate_refs) {
    if (!ref.group.empty() || ref.kind != "Secret")
      return fail(reason::kInvalidCertificateRef,
                  "certificateRefs must name core Secrets, not " + ref.group + "/" + ref.kind);
    // The owner's own grant: a Gateway's does not extend to its ListenerSets, nor the reverse.
    if (!referenceAllowed(*view, {model::kGatewayGroup, ls.owner.kind, ls.owner.ns}, {"", "Secret", ref.ns, ref.name}))
      return fail(reason::kRefNotPermitted,
                  "no ReferenceGrant in " + ref.ns + " allows this " + ls.owner.kind + " to use Secret " + ref.name);
    auto secret = view->find(ObjectKey{"Secret", ref.ns, ref.name});
    const auto* typed = secret ? secret->as<model::Secret>() : nullptr;
    if (!typed) return fail(reason::kInvalidCertificateRef, "Secret " + ref.ns + "/" + ref.name + " does not exist");
    auto cert = loadTlsSecret(*typed);
    if (!cert.certificate)
      return fail(reason::kInvalidCertificateRef, "Secret " + ref.ns + "/" + ref.name + ": " + cert.error);
    ls.certificates.push_back(std::move(*cert.certificate));
  }
}

}  // namespace gatehouse::translator
