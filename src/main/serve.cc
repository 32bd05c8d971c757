#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>

#include <unistd.h>

#include "admin/admin_server.h"
#include "common/log.h"
#include "controller/config_metrics.h"
#include "controller/controller.h"
#include "dataplane/dataplane.h"
#include "dataplane/observe/span_exporter.h"
#include "main/commands.h"
#include "main/config_stream_wiring.h"
#include "main/features.h"
#include "model/duration.h"
#include "providers/file/file_provider.h"
#include "providers/kube/kube_provider.h"

namespace gatehouse::main {
namespace {

// Hands snapshots to the data plane and turns its bind errors into unusable addresses.
class DataPlaneSink : public controller::SnapshotSink {
 public:
  explicit DataPlaneSink(dataplane::DataPlane* dp) : dp_(dp) {}
  std::map<std::string, std::string> apply(snapshot::SnapshotPtr snapshot) override {
    std::map<std::string, std::string> unusable;
    for (const auto& e : dp_->apply(std::move(snapshot))) {
      spdlog::error("cannot listen on {}:{}: {}", e.address, e.port, e.message);
      unusable[e.address] = "cannot listen on " + e.address + ":" + std::to_string(e.port) + ": " + e.message;
    }
    return unusable;
  }

 private:
  dataplane::DataPlane* dp_;
};

// Hands the statuses of each publication to the Kubernetes status writer, and on its asking
// (it became leader) all of them.
class KubeStatusSink : public controller::StatusSink {
 public:
  KubeStatusSink(providers::kube::KubeProvider* provider, bool provisioning)
      : provider_(provider), provisioning_(provisioning) {
    provider_->setStatusSource([this] { return everything(); });
  }
  void publish(const controller::Publication& publication) override {
    std::vector<providers::kube::StatusWrite> changed;
    changed.reserve(publication.changed.size());
    for (const auto& change : publication.changed) changed.push_back({change.key, unpack(change.status)});
    {
      std::lock_guard lock(mu_);
      objects_ = publication.objects;
    }
    provider_->writeStatuses(std::move(changed));
    if (publication.errors) provider_->reportErrors(*publication.errors);
    // What a data plane is rendered from: its Gateway (whose status changes with its spec's
    // generation), the Gateway's class and the parameters either names.
    const bool gateways_changed = std::any_of(publication.changed.begin(), publication.changed.end(),
                                              [](const auto& c) { return c.key.kind == "Gateway"; });
    const bool parameters_changed =
        std::any_of(publication.objects_changed.begin(), publication.objects_changed.end(),
                    [](const model::ObjectKey& key) { return key.kind == "GatehouseParameters" || key.kind == "GatewayClass"; });
    if (provisioning_ && (gateways_changed || parameters_changed || !provisioned_)) {
      provider_->provision(provisionRequests(*publication.objects));
      provisioned_ = true;
    }
  }

 private:
  static std::shared_ptr<const model::Json> unpack(const model::Packed* status) {
    return status ? std::make_shared<const model::Json>(status->unpack()) : nullptr;
  }
  std::vector<providers::kube::StatusWrite> everything() {
    std::shared_ptr<const controller::ObjectTable> objects;
    {
      std::lock_guard lock(mu_);
      objects = objects_;
    }
    std::vector<providers::kube::StatusWrite> out;
    if (!objects) return out;
    for (const auto& [key, entry] : objects->sorted())
      if (entry->status) out.push_back({*key, unpack(&*entry->status)});
    return out;
  }

  providers::kube::KubeProvider* provider_;
  const bool provisioning_;
  bool provisioned_ = false;
  std::mutex mu_;
  std::shared_ptr<const controller::ObjectTable> objects_;
};

volatile std::sig_atomic_t g_stop = 0;

}  // namespace

int serve(const ServeFlags& flags) {
  auto level = spdlog::level::from_str(flags.log_level);
  log::init(level);
  if (!flags.kubernetes && !std::filesystem::is_directory(flags.dir)) {
    spdlog::error("serve: {} is not a directory", flags.dir);
    return 2;
  }
  dataplane::Options dp_options;
  dp_options.workers = flags.workers == 0 ? 1 : flags.workers;
  dp_options.escaped_slashes = flags.escaped_slashes == "unescape" ? dataplane::EscapedSlashes::Unescape
                               : flags.escaped_slashes == "keep"   ? dataplane::EscapedSlashes::Keep
                                                                   : dataplane::EscapedSlashes::Reject;
  if (auto applied = applyObservabilityFlags(flags.observability, dp_options); !applied) {
    spdlog::error("serve: {}", applied.error().message);
    return 2;
  }
  if (auto applied = applyRateLimitFlags(flags.rate_limit, dp_options); !applied) {
    spdlog::error("serve: {}", applied.error().message);
    return 2;
  }
  dp_options.timeouts.tcp_idle = std::chrono::milliseconds(*model::parseDurationMs(flags.tcp_idle_timeout));
  dp_options.timeouts.udp_idle = std::chrono::milliseconds(*model::parseDurationMs(flags.udp_idle_timeout));
  dp_options.timeouts.l4_drain = std::chrono::milliseconds(*model::parseDurationMs(flags.l4_drain_timeout));
  dataplane::DataPlane dataplane(dp_options);
  DataPlaneSink sink(&dataplane);
  controller::StatusBoard board;
  controller::ConfigMetrics config_metrics;
  translator::Options options{flags.controller_name, flags.address_pool, supportedFeatures()};

  std::unique_ptr<providers::Provider> provider;
  std::unique_ptr<KubeStatusSink> kube_status;
  providers::kube::KubeProvider* kube_provider = nullptr;
  std::vector<controller::StatusSink*> status_sinks{&board, &config_metrics};
  if (flags.kubernetes) {
    providers::kube::KubeOptions kube_options;
    kube_options.kubeconfig = flags.kubeconfig;
    kube_options.controller_name = flags.controller_name;
    kube_options.lease = providers::kube::LeaseOptions::forDuration(std::chrono::seconds(flags.lease_seconds));
    kube_options.lease.ns = flags.lease_namespace;
    kube_options.lease.name = flags.lease_name;
    if (flags.provision) {
      auto provisioner = provisionerOptions(flags);
      if (!provisioner) {
        spdlog::error("serve: {}", provisioner.error().message);
        return 2;
      }
      kube_options.provisioner = std::move(*provisioner);
    }
    auto kube = std::make_unique<providers::kube::KubeProvider>(std::move(kube_options));
    kube_status = std::make_unique<KubeStatusSink>(kube.get(), flags.provision);
    status_sinks.push_back(kube_status.get());
    kube_provider = kube.get();
    provider = std::move(kube);
  } else {
    provider = std::make_unique<providers::FileProvider>(flags.dir);
  }
  StreamSink stream_sink;
  controller::Controller controller(options, flags.provision ? static_cast<controller::SnapshotSink*>(&stream_sink) : &sink,
                                    status_sinks, flags.kubernetes ? store::Generation::FromServer : store::Generation::Counted);
  std::unique_ptr<configstream::StreamServer> stream;
  if (flags.provision) {
    controller.gateOnDataPlanes();
    kube_provider->setDataPlaneAddressSink(
        [&controller](std::map<std::string, model::Json> addresses) { controller.setDataPlaneAddresses(std::move(addresses)); });
    auto started = startConfigStream(flags, kube_provider, &controller);
    if (!started) {
      spdlog::error("serve: {}", started.error().message);
      return 2;
    }
    stream = std::move(*started);
    stream_sink.setServer(stream.get());
    spdlog::info("config stream for data planes on {} (port {})", flags.stream_address, stream->port());
  }

  admin::AdminServer admin(&board, [&provider] { provider->sync(); });
  admin.addMetrics([&config_metrics](metrics::Exposition& out) { config_metrics.render(out); });
  admin.addMetrics([&dataplane](metrics::Exposition& out) { dataplane.metrics().render(out); });
  if (dp_options.traces) {
    admin.addMetrics([traces = dp_options.traces](metrics::Exposition& out) { traces->render(out); });
  }
  if (auto started = admin.start(flags.admin_address); !started) {
    spdlog::error("{}", started.error().message);
    return 2;
  }
  if (auto started = provider->start(&controller); !started) {
    spdlog::error("serve: {}", started.error().message);
    return 2;
  }
  spdlog::info("serving {} with {} workers; admin API on http://{}", flags.kubernetes ? "Kubernetes" : flags.dir,
               dp_options.workers, flags.admin_address);

  std::signal(SIGINT, [](int) { g_stop = 1; });
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  // Signals interrupt the sleep; meanwhile, addresses that failed to bind are retried, and data
  // planes connected to a replica that stopped leading are sent to find the new leader.
  bool was_leading = false;
  while (!g_stop) {
    sleep(2);
    if (!g_stop) controller.retryUnusable();
    const bool leading = kube_provider && kube_provider->leading();
    if (stream && was_leading && !leading) stream->disconnectAll();
    was_leading = leading;
  }
  spdlog::info("stopping");
  provider->stop();
  if (stream) stream->stop();
  admin.stop();
  dataplane.stop();
  return 0;
}

}  // namespace gatehouse::main
