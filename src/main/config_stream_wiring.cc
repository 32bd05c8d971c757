#include "main/config_stream_wiring.h"

#include <cstdlib>
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
  providers::kube::ProvisionerOptions options{flags.data_plane_image,
                                              flags.stream_advertise.empty() ? flags.stream_address : flags.stream_advertise,
                                              pem.str(), ""};
  const char* pod_namespace = std::getenv("POD_NAMESPACE");
  const char* pod_name = std::getenv("POD_NAME");
  if (options.image.empty()) {
    if (pod_namespace && *pod_namespace && pod_name && *pod_name)
      options.own_pod = std::string(pod_namespace) + "/" + pod_name;
    else
      return Error{"give --data-plane-image: not in a Pod ($POD_NAMESPACE, $POD_NAME), so its own image is unknown"};
  }
  return options;
}

namespace {

// The spec of the GatehouseParameters a parametersRef names, or null (not one, not there: the
// translator's InvalidParameters says so).
model::Json parametersOf(const controller::ObjectTable& objects, const model::Json& ref, const std::string& ns) {
  if (!ref.is_object() || ref.value("group", "") != "gatehouse.dev" || ref.value("kind", "") != "GatehouseParameters")
    return model::Json();
  const controller::ObjectTable::Entry* entry = objects.find({"GatehouseParameters", ns, ref.value("name", "")});
  return entry && entry->object ? entry->object->spec() : model::Json();
}

// The GatewayClass's parameters as defaults, the Gateway's over them (annotations key by key).
model::Json mergedParameters(model::Json of_class, const model::Json& of_gateway) {
  if (!of_class.is_object()) return of_gateway;
  if (!of_gateway.is_object()) return of_class;
  for (const auto& [field, value] : of_gateway.items()) {
    if (field == "annotations" && value.is_object() && of_class.value("annotations", model::Json()).is_object())
      of_class["annotations"].update(value);
    else
      of_class[field] = value;
  }
  return of_class;
}

bool accepted(const model::Json& status) {
  for (const auto& condition : status.value("conditions", model::Json::array()))
    if (condition.value("type", "") == "Accepted") return condition.value("status", "") == "True";
  return false;
}

}  // namespace

std::vector<providers::kube::ProvisionRequest> provisionRequests(const controller::ObjectTable& objects) {
  std::vector<providers::kube::ProvisionRequest> out;
  for (const auto& [key, entry] : objects.sorted()) {
    if (key->kind != "Gateway" || !entry->status || !entry->object) continue;
    const model::Json spec = entry->object->spec();
    const model::Json infrastructure = spec.value("infrastructure", model::Json());
    model::Json class_parameters;
    if (const auto* gateway_class = objects.find({"GatewayClass", "", spec.value("gatewayClassName", "")});
        gateway_class && gateway_class->object) {
      const model::Json ref = gateway_class->object->spec().value("parametersRef", model::Json());
      class_parameters = parametersOf(objects, ref, ref.is_object() ? ref.value("namespace", "") : "");
    }
    model::Json parameters = mergedParameters(
        std::move(class_parameters),
        parametersOf(objects, infrastructure.is_object() ? infrastructure.value("parametersRef", model::Json()) : model::Json(),
                     key->ns));
    providers::kube::ProvisionRequest request{key->ns, key->name, infrastructure, std::move(parameters), {}, {},
                                              accepted(entry->status->unpack())};
    for (const auto& address : spec.value("addresses", model::Json::array()))
      if (address.value("type", "IPAddress") == "IPAddress" && !address.value("value", "").empty())
        request.addresses.push_back(address["value"]);
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
