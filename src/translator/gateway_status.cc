// Gateway and ListenerSet statuses. A Gateway: Accepted from its own listeners, Programmed from
// the address, the ListenerSets attached to it, and per own listener its supported kinds,
// attached routes and conditions. A ListenerSet: Accepted (allowed by the parent, the parent
// accepted, one of its listeners valid), Programmed (the parent has its address) and the same
// per-listener status for its listeners.
#include "translator/state.h"

namespace gatehouse::translator {

using model::Json;

namespace {

// Valid: accepted, not conflicted; fully valid also with its references resolved.
bool valid(const ListenerState& ls) { return ls.accepted && !findCondition(ls.conditions, condition::kConflicted)->status; }
bool fullyValid(const ListenerState& ls) {
  return valid(ls) && findCondition(ls.conditions, condition::kResolvedRefs)->status;
}

Json listenerStatus(const ListenerState& ls, int64_t generation) {
  Json kinds = Json::array();
  for (const auto* k : ls.supported_kinds) kinds.push_back({{"group", model::kGatewayGroup}, {"kind", k->kind()}});
  return {{"name", ls.spec->name},
          {"supportedKinds", kinds},
          {"attachedRoutes", ls.attached},
          {"conditions", toJson(ls.conditions, generation)}};
}

bool insecureFrontendValidation(const model::FrontendTls& frontend) {
  if (frontend.default_validation && frontend.default_validation->allow_insecure_fallback) return true;
  for (const auto& [port, validation] : frontend.per_port)
    if (validation && validation->allow_insecure_fallback) return true;
  return false;
}

}  // namespace

void Translator::State::gatewayStatuses() {
  if (!gateways_dirty) return;
  gateways_dirty = false;
  for (auto& [key, gw] : gateways) {
    bool any_invalid = false, all_invalid = !gw.spec->listeners.empty();
    for (size_t i = 0; i < gw.spec->listeners.size(); ++i) {
      const auto& ls = gw.listeners[i];
      any_invalid |= !fullyValid(ls);
      all_invalid &= !valid(ls);
    }
    if (gw.accepted) {
      if (all_invalid) {
        gw.accepted = false;
        setCondition(gw.conditions, {condition::kAccepted, false, reason::kListenersNotValid, "no listener is valid"});
      } else if (any_invalid) {
        setCondition(gw.conditions,
                     {condition::kAccepted, true, reason::kListenersNotValid, "some listeners are not valid"});
      } else {
        setCondition(gw.conditions, {condition::kAccepted, true, reason::kAccepted, ""});
      }
    }
    if (insecureFrontendValidation(gw.spec->frontend_tls))
      setCondition(gw.conditions, {condition::kInsecureFrontendValidationMode, true, reason::kConfigurationChanged,
                                   "tls.frontend lets clients without a valid certificate through "
                                   "(mode AllowInsecureFallback)"});
    if (!gw.accepted) {
      setCondition(gw.conditions, {condition::kProgrammed, false, reason::kInvalid, "the Gateway is not accepted"});
    } else if (gw.address.empty()) {
      setCondition(gw.conditions,
                   {condition::kProgrammed, false, reason::kAddressNotAssigned, "the address pool is exhausted"});
    } else {
      setCondition(gw.conditions, {condition::kProgrammed, true, reason::kProgrammed, ""});
    }
  }
  listenerSetStatuses();
  for (auto& [key, gw] : gateways) {
    const auto& r = *gw.resource;
    Json addresses_json = Json::array();
    if (gw.accepted && !gw.address.empty()) addresses_json.push_back({{"type", "IPAddress"}, {"value", gw.address}});
    Json listener_statuses = Json::array();
    for (size_t i = 0; i < gw.spec->listeners.size(); ++i)
      listener_statuses.push_back(listenerStatus(gw.listeners[i], r.generation));
    Json status = {{"addresses", addresses_json},
                   {"conditions", toJson(gw.conditions, r.generation)},
                   {"listeners", listener_statuses}};
    if (gw.spec->allowed_listeners.namespaces_from != "None") {
      int attached_sets = 0;
      for (const auto& [name, set] : listener_sets) attached_sets += set.gateway == key && set.accepted;
      status["attachedListenerSets"] = attached_sets;
    }
    setStatus(r.key, status);
  }
}

void Translator::State::listenerSetStatuses() {
  for (auto& [name, set] : listener_sets) {
    const auto& r = *set.resource;
    const GatewayState& gw = gateways.at(set.gateway);
    const ListenerOwner owner{"ListenerSet", r.key.ns, r.key.name};
    Conditions conditions;
    Json listener_statuses = Json::array();
    bool any_invalid = false, any_valid = false;
    for (const auto& ls : gw.listeners) {
      if (ls.owner != owner) continue;
      listener_statuses.push_back(listenerStatus(ls, r.generation));
      any_invalid |= !fullyValid(ls);
      any_valid |= fullyValid(ls);
    }
    auto both = [&](const char* why, const std::string& message) {
      setCondition(conditions, {condition::kAccepted, false, why, message});
      setCondition(conditions, {condition::kProgrammed, false, why, message});
    };
    set.accepted = false;
    if (!set.allowed) {
      both(reason::kNotAllowed, "the allowedListeners of Gateway " + set.gateway + " do not select this namespace");
    } else if (!gw.accepted) {
      setCondition(conditions, {condition::kAccepted, false, reason::kParentNotAccepted,
                                "Gateway " + set.gateway + " is not accepted"});
      setCondition(conditions, {condition::kProgrammed, false, reason::kParentNotProgrammed,
                                "Gateway " + set.gateway + " is not accepted"});
    } else if (!any_valid) {
      both(reason::kListenersNotValid, "no listener is valid");
    } else {
      set.accepted = true;
      setCondition(conditions, any_invalid ? Condition{condition::kAccepted, true, reason::kListenersNotValid,
                                                       "some listeners are not valid"}
                                           : Condition{condition::kAccepted, true, reason::kAccepted, ""});
      setCondition(conditions, gw.address.empty()
                                   ? Condition{condition::kProgrammed, false, reason::kParentNotProgrammed,
                                               "Gateway " + set.gateway + " has no address"}
                                   : Condition{condition::kProgrammed, true, reason::kProgrammed, ""});
    }
    setStatus(r.key, {{"conditions", toJson(conditions, r.generation)}, {"listeners", listener_statuses}});
  }
}

}  // namespace gatehouse::translator
