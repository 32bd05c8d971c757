#pragma once
#include <string>

namespace gatehouse::main {

struct ServeFlags {
  std::string dir, admin_address, address_pool, controller_name, log_level;
  bool kubernetes = false;  // watch the API server instead of `dir`
  std::string kubeconfig, lease_namespace, lease_name;
  unsigned lease_seconds = 15;
  std::string escaped_slashes = "reject";  // reject | unescape | keep (dataplane::EscapedSlashes)
  unsigned workers = 1;
  std::string tcp_idle_timeout = "1h";  // Gateway API durations (dataplane::Timeouts::tcp_idle, udp_idle)
  std::string udp_idle_timeout = "60s";
};
struct ValidateFlags {
  std::string dir, controller_name, address_pool;
};
struct GoldenFlags {
  std::string input;
  bool update = false;
};

int serve(const ServeFlags& flags);
int validate(const ValidateFlags& flags);
int golden(const GoldenFlags& flags);

}  // namespace gatehouse::main
