#pragma once
// What the admin API shows: every Gateway API object with its status, the compiled config, the
// emulated infrastructure objects, the configuration errors. A status sink: each publication
// replaces the last under a short lock (a pointer swap), and readers render from the
// publication they got, never from the control loop's live state, so a read never waits on a
// translation. Documents are rendered when first requested after a publication, so a change
// costs nothing for documents nobody reads.
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "controller/status_sink.h"

namespace gatehouse::controller {

class StatusBoard : public StatusSink {
 public:
  using Doc = std::shared_ptr<const nlohmann::json>;

  void publish(const Publication& publication) override;

  // Null until the first publication.
  Doc objects() const;         // Kubernetes List of Gateway API objects with status
  Doc config() const;          // the compiled snapshot
  Doc infrastructure() const;  // emulated data-plane objects per Gateway
  Doc errors() const;
  bool ready() const;

 private:
  struct Published {
    snapshot::SnapshotPtr snapshot;
    std::shared_ptr<const ObjectTable> objects;
    std::shared_ptr<const std::vector<store::ConfigError>> errors;
    std::mutex render_mu;
    Doc objects_doc, config_doc, infrastructure_doc, errors_doc;  // rendered on demand
  };
  std::shared_ptr<Published> current() const;
  // The document `slot` of the current publication, rendered by `render` on first use.
  Doc render(Doc Published::*slot, const std::function<nlohmann::json(const Published&)>& render) const;

  mutable std::mutex mu_;
  std::shared_ptr<Published> current_;
};

}  // namespace gatehouse::controller
