#pragma once
// The whole-object schema of every kind validation.h supports. Each is built once, on first
// use, and lives for the program.
#include "model/schema.h"

namespace gatehouse::model::kinds {

// Gateway API, standard channel v1.6.1.
const schema::Node& gatewayClass();
const schema::Node& gateway();
const schema::Node& listenerSet();
const schema::Node& httpRoute();
const schema::Node& grpcRoute();
const schema::Node& tcpRoute();
const schema::Node& udpRoute();
const schema::Node& tlsRoute();
const schema::Node& referenceGrant();
const schema::Node& backendTLSPolicy();

// Gatehouse's own (gatehouse.dev/v1alpha1).
const schema::Node& gatehouseParameters();
const schema::Node& rateLimitPolicy();       // gatehouse_policy_schemas.cc
const schema::Node& faultInjectionPolicy();

// Core kinds (basic checks).
const schema::Node& namespace_();
const schema::Node& service();
const schema::Node& endpointSlice();
const schema::Node& secret();
const schema::Node& configMap();

// The top-level object of a kind with a spec: apiVersion, kind, metadata, spec, and a status
// that is only defaulted (`statusDefault`, when not null), never validated.
schema::Schema TopLevel(schema::Schema metadata, schema::Schema spec, bool specRequired = true,
                        nlohmann::json statusDefault = nullptr);

}  // namespace gatehouse::model::kinds
