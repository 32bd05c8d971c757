#pragma once
// Which keys an access log line has and which requests get one (observe/access_log.h), parsed
// once at startup. Light on purpose: dataplane/options.h includes it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "common/result.h"

namespace gatehouse::dataplane::observe {

class AccessLogWriter;

// The keys of a line, in the order written (access_log.h says what each holds).
enum class AccessLogField : uint8_t {
  Time, Gateway, Listener, Route, Rule, Backend, Endpoint, Method, Authority, Path, Status, BytesReceived,
  BytesSent, DurationMs, UpstreamDurationMs, UpstreamFailure, UpstreamAttempts, TraceId, ClientAddress,
};
inline constexpr size_t kAccessLogFields = 19;
static_assert(static_cast<size_t>(AccessLogField::ClientAddress) + 1 == kAccessLogFields);
std::string_view accessLogFieldName(AccessLogField field);

// A set of AccessLogFields, one bit each.
class AccessLogFields {
 public:
  static constexpr AccessLogFields all() { return AccessLogFields((uint32_t{1} << kAccessLogFields) - 1); }
  // "status,path,trace_id": keys as above, comma-separated, in any order (the line keeps the
  // order above). An empty list, or an unknown key (named in the error), is refused.
  static Result<AccessLogFields> parse(std::string_view list);
  bool has(AccessLogField field) const { return (bits_ >> static_cast<unsigned>(field)) & 1; }
  bool operator==(const AccessLogFields&) const = default;

 private:
  constexpr explicit AccessLogFields(uint32_t bits) : bits_(bits) {}
  uint32_t bits_;
};

// How the access log is written: where (null: off), which keys, the share of requests logged.
struct AccessLogOptions {
  std::shared_ptr<AccessLogWriter> writer;
  AccessLogFields fields = AccessLogFields::all();
  double sampling = 1.0;  // 0..1; failed requests (alwaysLogged()) are logged whatever it is
};

}  // namespace gatehouse::dataplane::observe
