// `gatehouse dataplane`: one Gateway's data plane, configured by the controller over the config
// stream (no API-server credentials; docs/design/config-stream.md).
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "admin/admin_server.h"
#include "common/log.h"
#include "configstream/stream_client.h"
#include "dataplane/dataplane.h"
#include "dataplane/observe/span_exporter.h"
#include "main/commands.h"

namespace gatehouse::main {
namespace {

volatile std::sig_atomic_t g_stop = 0;

Result<std::string> controllerCa(const DataPlaneFlags& flags) {
  if (!flags.controller_ca.empty()) {
    std::ifstream in(flags.controller_ca);
    if (!in) return Error{"cannot read --controller-ca " + flags.controller_ca};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  const char* pem = std::getenv("GATEHOUSE_CONTROLLER_CA");
  if (pem && *pem) return std::string(pem);
  return Error{"give the controller's CA: --controller-ca FILE or $GATEHOUSE_CONTROLLER_CA (PEM)"};
}

// The pod listens on its own address, whatever address the controller's translation chose.
snapshot::SnapshotPtr rebound(snapshot::SnapshotPtr snapshot, const std::string& address) {
  if (address.empty()) return snapshot;
  auto copy = std::make_shared<snapshot::Snapshot>(*snapshot);
  for (auto& socket : copy->sockets) socket.address = address;
  return copy;
}

}  // namespace

int dataplane(const DataPlaneFlags& flags) {
  log::init(spdlog::level::from_str(flags.log_level));
  auto ca = controllerCa(flags);
  if (!ca) {
    spdlog::error("dataplane: {}", ca.error().message);
    return 2;
  }
  dataplane::Options options;
  options.workers = flags.workers == 0 ? 1 : flags.workers;
  if (auto applied = applyObservabilityFlags(flags.observability, options); !applied) {
    spdlog::error("dataplane: {}", applied.error().message);
    return 2;
  }
  if (auto applied = applyRateLimitFlags(flags.rate_limit, options); !applied) {
    spdlog::error("dataplane: {}", applied.error().message);
    return 2;
  }
  dataplane::DataPlane dataplane(options);
  configstream::ClientOptions client_options{flags.controller, flags.gateway, flags.token_file, *ca};
  auto client = configstream::StreamClient::start(
      std::move(client_options), [&](snapshot::SnapshotPtr snapshot, uint64_t) -> std::string {
        std::string failed;
        for (const auto& e : dataplane.apply(rebound(std::move(snapshot), flags.bind_address))) {
          spdlog::error("cannot listen on {}:{}: {}", e.address, e.port, e.message);
          failed += (failed.empty() ? "" : "; ") + ("cannot listen on " + e.address + ":" + std::to_string(e.port) + ": " + e.message);
        }
        return failed;
      });
  if (!client) {
    spdlog::error("dataplane: {}", client.error().message);
    return 2;
  }
  admin::AdminServer admin(nullptr);
  if (!flags.admin_address.empty()) {
    admin.setReadiness([client = client->get()] { return client->applied(); });
    admin.addMetrics([&dataplane](metrics::Exposition& out) { dataplane.metrics().render(out); });
    if (options.traces) admin.addMetrics([traces = options.traces](metrics::Exposition& out) { traces->render(out); });
    if (auto started = admin.start(flags.admin_address); !started) {
      spdlog::error("dataplane: {}", started.error().message);
      (*client)->stop();
      return 2;
    }
  }
  spdlog::info("data plane of Gateway {} with {} workers; config from {}{}", flags.gateway, options.workers,
               flags.controller, flags.admin_address.empty() ? "" : "; admin API on http://" + flags.admin_address);
  std::signal(SIGINT, [](int) { g_stop = 1; });
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  while (!g_stop) sleep(1);  // a signal interrupts it; pause() could miss one that came before it
  spdlog::info("stopping");
  (*client)->stop();
  admin.stop();
  dataplane.stop();
  return 0;
}

}  // namespace gatehouse::main
