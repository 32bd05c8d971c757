#pragma once
// Clusters (one per Service port that routes name) and the EndpointSlice index they are filled
// from. Clusters live in slots shared between snapshots and reference-counted by the routes that
// hold them; a slot is recomputed at most once per run, and an EndpointSlice change only swaps
// the endpoints of its Service's clusters.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/types/core.h"
#include "snapshot/snapshot.h"
#include "store/store.h"

namespace gatehouse::translator {

class Backends {
 public:
  // Starts a run on `view`; the first run indexes every EndpointSlice.
  void beginRun(const store::View& view);
  // Re-indexes a changed slice; adds the Services it belonged to before and after to `affected`.
  void updateSlice(const model::ObjectKey& key, std::set<model::ObjectKey>& affected);

  // The cluster of a Service port, made on first use and counted once per call; `tls`: the
  // BackendTLSPolicy that applies to the port (nullptr: none).
  uint32_t acquire(const model::Resource& service, const model::ServicePort& port, const snapshot::UpstreamTls* tls);
  void release(uint32_t index);
  // New endpoints for the clusters of a Service whose slices changed.
  void refreshEndpoints(const model::ObjectKey& service);

  // The clusters as the snapshot holds them.
  const snapshot::ClusterTable& table() const { return table_; }

 private:
  struct Slot {
    std::shared_ptr<const snapshot::Cluster> cluster;
    model::ObjectKey service;  // whose port this is
    int64_t port = 0;
    uint32_t refs = 0;
    uint64_t refreshed = 0;  // run in which its endpoints were last computed
  };

  void rebuildSliceIndex();
  std::vector<snapshot::Endpoint> endpointsOf(const model::ObjectKey& service, const model::ServicePort& port) const;
  void refreshSlot(uint32_t index, snapshot::Cluster fresh);

  const store::View* view_ = nullptr;
  uint64_t run_ = 0;
  // EndpointSlices by the Service their kubernetes.io/service-name label names.
  std::map<model::ObjectKey, std::set<model::ObjectKey>> slices_by_service_;
  std::map<model::ObjectKey, model::ObjectKey> service_of_slice_;
  std::unordered_map<std::string, uint32_t> index_;  // cluster name -> slot
  std::map<model::ObjectKey, std::set<uint32_t>> by_service_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  snapshot::ClusterTable table_;
};

}  // namespace gatehouse::translator
