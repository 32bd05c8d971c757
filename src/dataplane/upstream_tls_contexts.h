#pragma once
#include "dataplane/generation.h"
#include "dataplane/tls/upstream_context.h"

namespace gatehouse::dataplane {

// Fills generation.upstream_tls and client_certificate_slots from generation.snapshot: slot 0
// for every cluster with a usable BackendTLSPolicy, and one slot per distinct backend client
// certificate of the listeners, for the same clusters. Every (cluster, certificate) pair gets a
// context, not only the pairs some route connects: finding those would walk every route table
// per snapshot, while the cache builds a pair once and keeps it while any generation uses it.
// A certificate or context that fails to load is logged; its requests go without it.
void buildUpstreamTls(Generation& generation, tls::UpstreamContextCache& cache);

}  // namespace gatehouse::dataplane
