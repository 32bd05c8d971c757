#pragma once
#include <string>
#include <vector>

#include "main/observability_flags.h"
#include "main/rate_limit_flags.h"

namespace gatehouse::main {

struct ServeFlags {
  std::string dir, admin_address, address_pool, controller_name, log_level;
  bool kubernetes = false;  // watch the API server instead of `dir`
  std::string kubeconfig, lease_namespace, lease_name;
  unsigned lease_seconds = 15;
  std::string escaped_slashes = "reject";  // reject | unescape | keep (dataplane::EscapedSlashes)
  ObservabilityFlags observability;
  RateLimitFlags rate_limit;
  unsigned workers = 1;
  std::string tcp_idle_timeout = "1h";  // Gateway API durations (dataplane::Timeouts::tcp_idle, udp_idle)
  std::string udp_idle_timeout = "60s";
  std::string l4_drain_timeout = "30s";  // dataplane::Timeouts::l4_drain
  // Separate data planes: per Gateway a `gatehouse dataplane` fed over the config stream.
  bool provision = false;
  std::string stream_address, stream_cert, stream_key;
  std::string stream_advertise, stream_ca, data_plane_image;  // what provisioned data planes get
};
struct DataPlaneFlags {
  std::string controller, gateway, token_file, controller_ca, bind_address, admin_address, log_level;
  unsigned workers = 1;
  ObservabilityFlags observability;
  RateLimitFlags rate_limit;
};
struct ValidateFlags {
  std::string dir, controller_name, address_pool;
  std::string output = "text";  // text (a summary) | json | yaml (the full statuses)
};
struct ExplainFlags {
  std::string dir, route, controller_name, address_pool;
  bool kubernetes = false;  // list the API server instead of reading `dir`
  std::string kubeconfig;
  std::string request;               // "METHOD URL": explain a request instead of a route
  std::vector<std::string> headers;  // with request: "Name: value"
  std::string gateway;               // with request: only this Gateway's listeners
  std::string output = "text";       // text | json
};
struct ConvertFlags {
  std::vector<std::string> files;
  std::string gateway_class = "gatehouse";
};
struct StatusFlags {
  std::string admin_address = "127.0.0.1:15000";
  std::string output = "text";  // text (a summary) | json | yaml (the full statuses)
};
struct GoldenFlags {
  std::string input;
  bool update = false;
};

int serve(const ServeFlags& flags);
int dataplane(const DataPlaneFlags& flags);
int validate(const ValidateFlags& flags);
int golden(const GoldenFlags& flags);
int explain(const ExplainFlags& flags);
int convertIngress(const ConvertFlags& flags);
int status(const StatusFlags& flags);

}  // namespace gatehouse::main
