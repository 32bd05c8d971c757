#include "main/config_stream_wiring.h"

#include "providers/kube/data_plane_names.h"

namespace gatehouse::main {

Result<std::unique_ptr<configstream::StreamServer>> startConfigStream(const ServeFlags& flags,
                                                                      providers::kube::KubeProvider* kube,
                                                                      controller::Controller* controller) {
  configstream::ServerOptions options;
  options.address = flags.stream_address;
  options.cert_file = flags.stream_cert;
  options.key_file = flags.stream_key;
  auto authenticate = [kube](const configstream::Hello& hello, configstream::StreamServer::Admit admit) {
    if (!kube->leading()) return admit("this controller replica is not the leader");
    const auto slash = hello.gateway.find('/');
    std::string expected = providers::kube::dataPlaneUser(hello.gateway.substr(0, slash), hello.gateway.substr(slash + 1));
    kube->reviewToken(hello.token, std::string(providers::kube::kDataPlaneTokenAudience),
                      [admit, expected, gateway = hello.gateway](Result<std::string> user) {
                        if (!user) return admit(user.error().message);
                        if (*user != expected)
                          return admit(*user + " may not receive the config of Gateway " + gateway + " (only " + expected + ")");
                        admit("");
                      });
  };
  return configstream::StreamServer::start(std::move(options), std::move(authenticate),
                                           [controller](const std::set<std::string>& live) { controller->setLiveGateways(live); });
}

}  // namespace gatehouse::main
