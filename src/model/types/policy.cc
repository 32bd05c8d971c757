#include "model/types/policy.h"

#include "model/duration.h"
#include "model/json_access.h"
#include "model/types/decode_parts.h"

namespace gatehouse::model {

namespace {

// The targets, and the object holding the settings: spec itself (defaults) or spec.overrides.
const nlohmann::json& decodeTargets(const nlohmann::json& spec, Policy& out) {
  for (const auto& t : arr(spec, "targetRefs"))
    out.target_refs.push_back({str(t, "group"), str(t, "kind"), str(t, "name"), decoding::optionalString(t, "sectionName")});
  out.overrides = has(spec, "overrides");
  return out.overrides ? obj(spec, "overrides") : spec;
}

uint32_t u32(const nlohmann::json& j, const char* key, uint32_t fallback) {
  return static_cast<uint32_t>(integer(j, key, fallback));
}

std::optional<uint32_t> optionalU32(const nlohmann::json& j, const char* key) {
  if (!has(j, key)) return std::nullopt;
  return u32(j, key, 0);
}

void decodeLimit(const nlohmann::json& limit, RateLimitPolicy::Limit& out) {
  out.requests = u32(limit, "requests", 0);
  out.window_ms = parseDurationMs(str(limit, "window")).value_or(0);
  const nlohmann::json& key = obj(limit, "key");
  out.key_type = str(key, "type", "Target");
  out.header = str(key, "header");
}

}  // namespace

std::shared_ptr<const TypedObject> decodeRateLimitPolicy(const nlohmann::json& object) {
  auto out = std::make_shared<RateLimitPolicy>();
  const nlohmann::json& spec = decodeTargets(obj(object, "spec"), *out);
  if (has(spec, "local")) {
    const nlohmann::json& local = obj(spec, "local");
    RateLimitPolicy::Local l;
    decodeLimit(local, l);
    l.max_keys = u32(local, "maxKeys", l.max_keys);
    out->local = std::move(l);
  }
  if (has(spec, "global")) {
    const nlohmann::json& global = obj(spec, "global");
    RateLimitPolicy::Global g;
    decodeLimit(global, g);
    g.fail_closed = str(global, "failureMode", "Open") == "Closed";
    out->global = std::move(g);
  }
  return out;
}

std::shared_ptr<const TypedObject> decodeFaultInjectionPolicy(const nlohmann::json& object) {
  auto out = std::make_shared<FaultInjectionPolicy>();
  const nlohmann::json& spec = decodeTargets(obj(object, "spec"), *out);
  if (has(spec, "abort")) {
    const nlohmann::json& abort = obj(spec, "abort");
    out->abort = FaultInjectionPolicy::Abort{u32(abort, "percentage", 100), optionalU32(abort, "httpStatus"),
                                             optionalU32(abort, "grpcStatus")};
  }
  if (has(spec, "delay")) {
    const nlohmann::json& delay = obj(spec, "delay");
    out->delay = FaultInjectionPolicy::Delay{u32(delay, "percentage", 100),
                                             parseDurationMs(str(delay, "fixedDelay")).value_or(0)};
  }
  return out;
}

}  // namespace gatehouse::model
