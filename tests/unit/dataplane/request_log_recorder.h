#pragma once
// Records what the request pipeline's log phase reports (DataPlane::setRequestLogHook), from any
// worker thread, for tests that check both codecs report the same facts.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/dataplane.h"
#include "dataplane/pipeline/request_context.h"

namespace gatehouse::testing {

struct LoggedRequest {
  std::string method;
  std::string path;
  uint16_t status = 0;
  std::optional<dataplane::ErrorKind> error;
  bool operator==(const LoggedRequest&) const = default;
};

inline std::ostream& operator<<(std::ostream& out, const LoggedRequest& r) {
  out << r.method << " " << r.path << " " << r.status;
  if (r.error) out << " " << dataplane::errorKindName(*r.error);
  return out;
}

class RequestLogRecorder {
 public:
  void attach(dataplane::DataPlane& plane) {
    plane.setRequestLogHook([this](const dataplane::RequestContext& ctx) {
      std::lock_guard lock(mu_);
      logged_.push_back({ctx.request.method, ctx.request.path, ctx.status,
                         ctx.error ? std::optional(ctx.error->kind) : std::nullopt});
    });
  }
  // The requests logged so far, once at least `n` were (or after 2 s).
  std::vector<LoggedRequest> waitFor(size_t n) {
    for (int i = 0; i < 400; ++i) {
      {
        std::lock_guard lock(mu_);
        if (logged_.size() >= n) return logged_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::lock_guard lock(mu_);
    return logged_;
  }

 private:
  std::mutex mu_;
  std::vector<LoggedRequest> logged_;
};

}  // namespace gatehouse::testing
