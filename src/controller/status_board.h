#pragma once
// What the admin API shows: every object with its status, the compiled config, the
// configuration errors. Written by the control thread, read by the admin thread; each field is
// an immutable JSON document swapped under a short lock (not on the request path).
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

namespace gatehouse::controller {

class StatusBoard {
 public:
  using Doc = std::shared_ptr<const nlohmann::json>;

  void publish(Doc objects, Doc config, Doc infrastructure, Doc errors) {
    std::lock_guard lock(mu_);
    objects_ = std::move(objects);
    config_ = std::move(config);
    infrastructure_ = std::move(infrastructure);
    errors_ = std::move(errors);
    ready_ = true;
  }
  Doc objects() const { std::lock_guard lock(mu_); return objects_; }
  Doc config() const { std::lock_guard lock(mu_); return config_; }
  Doc infrastructure() const { std::lock_guard lock(mu_); return infrastructure_; }
  Doc errors() const { std::lock_guard lock(mu_); return errors_; }
  bool ready() const { std::lock_guard lock(mu_); return ready_; }

 private:
  mutable std::mutex mu_;
  Doc objects_, config_, infrastructure_, errors_;
  bool ready_ = false;
};

}  // namespace gatehouse::controller
