#include <csignal>
#include <cstdio>
#include <filesystem>

#include <unistd.h>

#include "admin/admin_server.h"
#include "common/log.h"
#include "controller/controller.h"
#include "dataplane/dataplane.h"
#include "main/commands.h"
#include "main/features.h"
#include "providers/file/file_provider.h"

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

volatile std::sig_atomic_t g_stop = 0;

}  // namespace

int serve(const ServeFlags& flags) {
  auto level = spdlog::level::from_str(flags.log_level);
  log::init(level);
  if (!std::filesystem::is_directory(flags.dir)) {
    spdlog::error("serve: {} is not a directory", flags.dir);
    return 2;
  }
  dataplane::Options dp_options;
  dp_options.workers = flags.workers == 0 ? 1 : flags.workers;
  dp_options.escaped_slashes = flags.escaped_slashes == "unescape" ? dataplane::EscapedSlashes::Unescape
                               : flags.escaped_slashes == "keep"   ? dataplane::EscapedSlashes::Keep
                                                                   : dataplane::EscapedSlashes::Reject;
  dataplane::DataPlane dataplane(dp_options);
  DataPlaneSink sink(&dataplane);
  controller::StatusBoard board;
  translator::Options options{flags.controller_name, flags.address_pool, supportedFeatures()};
  controller::Controller controller(options, &sink, {&board});

  providers::FileProvider provider(flags.dir);
  admin::AdminServer admin(&board, [&provider] { provider.sync(); });
  if (auto started = admin.start(flags.admin_address); !started) {
    spdlog::error("{}", started.error().message);
    return 2;
  }
  if (auto started = provider.start(&controller); !started) {
    spdlog::error("serve: {}", started.error().message);
    return 2;
  }
  spdlog::info("serving {} with {} workers; admin API on http://{}", flags.dir, dp_options.workers,
               flags.admin_address);

  std::signal(SIGINT, [](int) { g_stop = 1; });
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  // Signals interrupt the sleep; meanwhile, addresses that failed to bind are retried.
  while (!g_stop) {
    sleep(2);
    if (!g_stop) controller.retryUnusable();
  }
  spdlog::info("stopping");
  provider.stop();
  admin.stop();
  dataplane.stop();
  return 0;
}

}  // namespace gatehouse::main
