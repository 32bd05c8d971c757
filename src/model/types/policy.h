#pragma once
// Gatehouse's traffic policies (gatehouse.dev/v1alpha1), attached to Gateway API objects with
// targetRefs (docs/policies.md). What every policy kind shares is in Policy; each kind adds its
// spec. A new kind adds a struct here, its decoder, its schema (gatehouse_policy_schemas.cc) and
// its compiler (translator/policies/).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/types/object.h"

namespace gatehouse::model {

constexpr const char* kGatehouseGroup = "gatehouse.dev";

// A targetRef: a Gateway (sectionName: one of its listeners), an HTTPRoute or a GRPCRoute
// (sectionName: one of its rules), in the policy's namespace.
struct PolicyTargetRef {
  std::string group, kind, name;
  std::optional<std::string> section_name;
};

struct Policy : TypedObject {
  std::vector<PolicyTargetRef> target_refs;
  // GEP-713: the settings are defaults (a policy on a more specific target replaces them), or,
  // given under spec.overrides, win over every more specific target's.
  bool overrides = false;
};

// RateLimitPolicy: a token bucket of `requests` per `window`, per target, optionally one bucket
// per client address or per value of a request header; local (per process), global (in Redis,
// shared by every replica), or both.
struct RateLimitPolicy : Policy {
  struct Limit {
    uint32_t requests = 0;
    uint64_t window_ms = 0;
    std::string key_type = "Target";  // Target | ClientAddress | Header
    std::string header;               // key_type Header
  };
  struct Local : Limit {
    uint32_t max_keys = 10000;
  };
  struct Global : Limit {
    bool fail_closed = false;  // failureMode Closed: 503 when Redis does not answer
  };
  std::optional<Local> local;
  std::optional<Global> global;
};

// FaultInjectionPolicy: abort a percentage of requests with a status, delay a percentage.
struct FaultInjectionPolicy : Policy {
  struct Abort {
    uint32_t percentage = 100;
    std::optional<uint32_t> http_status;
    std::optional<uint32_t> grpc_status;
  };
  struct Delay {
    uint32_t percentage = 100;
    uint64_t fixed_delay_ms = 0;
  };
  std::optional<Abort> abort;
  std::optional<Delay> delay;
};

std::shared_ptr<const TypedObject> decodeRateLimitPolicy(const nlohmann::json& object);
std::shared_ptr<const TypedObject> decodeFaultInjectionPolicy(const nlohmann::json& object);

}  // namespace gatehouse::model
