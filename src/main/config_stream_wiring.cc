#include "main/config_stream_wiring.h"

#include <fstream>
#include <set>
#include <sstream>

#include "providers/kube/data_plane_names.h"

namespace gatehouse::main {

Result<providers::kube::ProvisionerOptions> provisionerOptions(const ServeFlags& flags) {
  const std::string& ca_file = flags.stream_ca.empty() ? flags.stream_cert : flags.stream_ca;
  std::ifstream in(ca_file);
  if (!in) return Error{"cannot read the config stream's CA " + ca_file};
  std::stringstream pem;
  pem << in.rdbuf();
  return providers::kube::ProvisionerOptions{flags.data_plane_image,
                                             flags.stream_advertise.empty() ? flags.stream_address : flags.stream_advertise,
                                             pem.str()};
}

std::vector<providers::kube::ProvisionRequest> provisionRequests(const controller::ObjectTable& objects) {
  std::vector<providers::kube::ProvisionRequest> out;
  for (const auto& [key, entry] : objects.sorted()) {
    if (key->kind != "Gateway" || !entry->status || !entry->object) continue;
    const model::Json spec = entry->object->spec();
    providers::kube::ProvisionRequest request{key->ns, key->name, spec.value("infrastructure", model::Json()), {}};
    std::set<std::pair<std::string, uint16_t>> seen;
    for (const auto& listener : spec.value("listeners", model::Json::array())) {
      const std::string protocol = listener.value("protocol", "") == "UDP" ? "UDP" : "TCP";
      const uint16_t port = listener.value("port", uint16_t{0});
      if (port != 0 && seen.emplace(protocol, port).second) request.ports.push_back({port, protocol});
    }
    out.push_back(std::move(request));
  }
  return out;
}

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
