#pragma once
// Defaulting and validation of the objects Gatehouse reads, emulating what the Kubernetes API
// server does on create/update: CRD `default:`s, OpenAPI schema checks, CEL
// `x-kubernetes-validations` rules, strict (unknown-field) decoding and ObjectMeta rules.
//
// The Gateway API rules follow the v1.6.1 standard-channel CRDs
// (../shared/gateway-api/v1.6.1/crd/standard/*.yaml); they are written out in C++ in
// src/model/*_schemas.cc with the small schema vocabulary of src/model/schema.h, so that each
// kind reads like its CRD. Nothing is loaded at runtime.
#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::model {

// One reason an object is invalid. `field` is the path inside the object in the API server's
// notation ("spec.listeners[1].hostname", "metadata.labels[app]"); `reason` is what is wrong:
// for CEL rules the CRD's `message` verbatim, for schema rules the API server's wording
// ("Required value", "unknown field", "Unsupported value: ...", "should match '...'").
struct FieldError {
  std::string field;
  std::string reason;

  bool operator==(const FieldError&) const = default;
};

std::ostream& operator<<(std::ostream& os, const FieldError& error);

// Applies the defaults of `kind` in place, as the API server does on create/update: CRD
// `default:`s (recursively, also inside defaulted values), pruning of `null` object members
// before defaulting, the built-in defaults of the core kinds we read (Service, EndpointSlice,
// Secret), and the clearing of metadata.namespace on cluster-scoped kinds. Unknown kinds and
// values of the wrong type are left alone (validate() reports them).
void applyDefaults(std::string_view kind, nlohmann::json& object);

// Every schema rule and CEL rule of `kind` for the object as a whole, plus apiVersion/kind and
// ObjectMeta checks. Validation runs on a defaulted copy, as the API server validates after
// defaulting. `status` is not validated: the API server ignores it on the main resource of
// kinds with a status subresource. An empty result means valid. Cost: about 40 us per object
// over the 393 supported objects of the v1.6.1 conformance tests (RelWithDebInfo, 2-core VM),
// copy and defaulting included; fine for a config path, so no effort went into making it faster.
std::vector<FieldError> validate(std::string_view kind, const nlohmann::json& object);

// Whether validate() knows `kind`.
bool isSupportedKind(std::string_view kind);

}  // namespace gatehouse::model
