#pragma once
// runRequestPhases(), and runPendingPhases() when they stop at a global rate limit, to completion
// on a worker whose loop is not running (its thread is not started): the test thread runs the
// worker's io_context until the phases are done.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <optional>
#include <string_view>

#include "dataplane/event/worker.h"
#include "dataplane/pipeline/pipeline.h"

namespace gatehouse::testing {

inline std::optional<http::Response> runPhases(dataplane::Worker& worker, std::string_view socket_identity,
                                               dataplane::RequestContext& ctx) {
  std::optional<http::Response> answer = dataplane::runRequestPhases(worker, socket_identity, ctx);
  if (answer || !ctx.phases_pending) return answer;
  auto done = boost::asio::co_spawn(worker.io(), dataplane::runPendingPhases(worker, ctx), boost::asio::use_future);
  while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) worker.io().run_one();
  return done.get();
}

}  // namespace gatehouse::testing
