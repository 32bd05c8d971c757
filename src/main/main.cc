// The gatehouse binary: wiring only.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "main/commands.h"
#include "main/observability_flags.h"
#include "model/duration.h"

int main(int argc, char** argv) {
  using gatehouse::main::addObservabilityFlags;
  using gatehouse::main::addRateLimitFlags;
  CLI::App app{"Gatehouse: Kubernetes Gateway API controller and proxy in one binary"};
  app.require_subcommand(1);

  gatehouse::main::ServeFlags serve_flags;
  auto* serve = app.add_subcommand(
      "serve", "Serve the Gateway API manifests under DIR and watch it for changes, or (--kubernetes) those of an API server");
  auto* dir = serve->add_option("dir", serve_flags.dir, "Directory of *.yaml, *.yml and *.json manifests");
  auto* kubernetes = serve->add_flag("--kubernetes", serve_flags.kubernetes,
                                     "Watch the Kubernetes API server and write status there");
  dir->excludes(kubernetes);
  serve->add_option("--kubeconfig", serve_flags.kubeconfig,
                    "kubeconfig to reach the API server with (default: $KUBECONFIG, else the pod's service account)")
      ->needs(kubernetes);
  const char* pod_namespace = std::getenv("POD_NAMESPACE");
  serve->add_option("--leader-election-namespace", serve_flags.lease_namespace, "Namespace of the leader election Lease")
      ->default_val(pod_namespace && *pod_namespace ? pod_namespace : "gatehouse-system")
      ->needs(kubernetes);
  serve->add_option("--leader-election-id", serve_flags.lease_name, "Name of the leader election Lease")
      ->default_val("gatehouse-controller")
      ->needs(kubernetes);
  serve->add_option("--leader-election-lease-duration", serve_flags.lease_seconds,
                    "Seconds a leader's Lease holds without renewal (renew deadline 2/3 of it, retry period 2/15)")
      ->default_val(15)
      ->check(CLI::Range(3, 3600))
      ->needs(kubernetes);
  serve->add_option("--admin-address", serve_flags.admin_address, "Admin API HOST:PORT")
      ->default_val("127.0.0.1:15000");
  serve->add_option("--address-pool", serve_flags.address_pool,
                    "CIDR of addresses handed to Gateways that don't name one (loopback by default: nothing "
                    "is exposed by accident; 127.0.0.0/8 with --provision, whose data planes listen on their pods' addresses)")
      ->default_val("127.0.1.0/24");
  serve->add_option("--controller-name", serve_flags.controller_name, "GatewayClass controllerName to serve")
      ->default_val("gatehouse.dev/gateway-controller");
  serve->add_option("--workers", serve_flags.workers, "Data plane worker threads (default: one per core)")
      ->default_val(std::thread::hardware_concurrency());
  addObservabilityFlags(*serve, serve_flags.observability);
  addRateLimitFlags(*serve, serve_flags.rate_limit);
  serve->add_option("--escaped-slashes", serve_flags.escaped_slashes,
                    "What %2F and %5C in a request path mean: reject (400), unescape (become \"/\", routed and "
                    "forwarded so) or keep (stay encoded inside their segment; only when every backend agrees). "
                    "See docs/design/path-normalisation.md")
      ->check(CLI::IsMember({"reject", "unescape", "keep"}))
      ->default_val("reject");
  auto* provision = serve->add_flag("--provision", serve_flags.provision,
                                    "Serve no traffic here: each Gateway's data plane runs apart (`gatehouse dataplane`) "
                                    "and gets its config over the config stream")
                        ->needs(kubernetes);
  serve->add_option("--stream-address", serve_flags.stream_address, "Config stream HOST:PORT (with --provision)")
      ->default_val("0.0.0.0:15010")
      ->needs(provision);
  serve->add_option("--stream-cert", serve_flags.stream_cert, "Config stream server certificate, PEM (with --provision)")
      ->needs(provision);
  serve->add_option("--stream-key", serve_flags.stream_key, "Its private key, PEM")->needs(provision);
  serve->add_option("--stream-advertise", serve_flags.stream_advertise,
                    "HOST:PORT provisioned data planes dial for the config stream, e.g. the controller Service's "
                    "name (default: --stream-address)")
      ->needs(provision);
  serve->add_option("--stream-ca", serve_flags.stream_ca,
                    "CA that signed --stream-cert, put into the data planes' pod template (default: --stream-cert)")
      ->needs(provision);
  serve->add_option("--data-plane-image", serve_flags.data_plane_image,
                    "Image of provisioned data planes (default: this controller's own, read from its Pod "
                    "$POD_NAMESPACE/$POD_NAME)")
      ->needs(provision);
  serve->add_option("--tcp-idle-timeout", serve_flags.tcp_idle_timeout,
                    "Close a TCP or TLS passthrough connection after this long without a byte either way "
                    "(a duration such as 30s, 5m, 1h)")
      ->check([](const std::string& v) {
        return gatehouse::model::parseDurationMs(v).value_or(0) > 0 ? "" : "not a positive duration: " + v;
      })
      ->default_val("1h");
  serve->add_option("--udp-idle-timeout", serve_flags.udp_idle_timeout,
                    "End a UDP session (one client address) after this long without a datagram either way")
      ->check([](const std::string& v) {
        return gatehouse::model::parseDurationMs(v).value_or(0) > 0 ? "" : "not a positive duration: " + v;
      })
      ->default_val("60s");
  // 30 s: Kubernetes' default termination grace period, which clients and load balancers already
  // allow for; long enough for an exchange in flight to finish, short enough that removing a
  // route soon stops the access it granted.
  serve->add_option("--l4-drain-timeout", serve_flags.l4_drain_timeout,
                    "Close an established TCP or TLS connection this long after the configuration stops "
                    "serving it (its listener, route or backend removed)")
      ->check([](const std::string& v) {
        return gatehouse::model::parseDurationMs(v).value_or(0) > 0 ? "" : "not a positive duration: " + v;
      })
      ->default_val("30s");
  serve->add_option("--log-level", serve_flags.log_level, "trace|debug|info|warn|error")->default_val("info");

  gatehouse::main::DataPlaneFlags dp_flags;
  auto* dataplane = app.add_subcommand(
      "dataplane", "Serve one Gateway's traffic with the config the controller sends (no API-server credentials)");
  dataplane->add_option("--controller", dp_flags.controller, "The controller's config stream HOST:PORT")->required();
  dataplane->add_option("--gateway", dp_flags.gateway, "The Gateway served, NAMESPACE/NAME")->required();
  dataplane->add_option("--token-file", dp_flags.token_file,
                        "Projected service-account token (audience gatehouse.dev/config-stream), re-read on each connection")
      ->default_val("/var/run/secrets/gatehouse/token");
  dataplane->add_option("--controller-ca", dp_flags.controller_ca,
                        "CA of the controller's certificate, PEM file (default: $GATEHOUSE_CONTROLLER_CA, PEM text)");
  dataplane->add_option("--bind-address", dp_flags.bind_address,
                        "Listen on this address instead of the one the controller's config names (the pod's IP)");
  dataplane->add_option("--admin-address", dp_flags.admin_address,
                        "Admin API HOST:PORT: /healthz, /ready (200 once a config from the controller is live), "
                        "/metrics (default: none)");
  dataplane->add_option("--workers", dp_flags.workers, "Worker threads (default: one per core)")
      ->default_val(std::thread::hardware_concurrency());
  addObservabilityFlags(*dataplane, dp_flags.observability);
  addRateLimitFlags(*dataplane, dp_flags.rate_limit);
  dataplane->add_option("--log-level", dp_flags.log_level, "trace|debug|info|warn|error")->default_val("info");

  gatehouse::main::ValidateFlags validate_flags;
  auto* validate = app.add_subcommand("validate", "Check the manifests under DIR without serving");
  validate->add_option("dir", validate_flags.dir, "Directory of manifests")->required();
  validate->add_option("-o,--output", validate_flags.output,
                       "text: a line per object and every error; json or yaml: every status in full")
      ->check(CLI::IsMember({"text", "json", "yaml"}))
      ->default_val("text");
  validate->add_option("--controller-name", validate_flags.controller_name)
      ->default_val("gatehouse.dev/gateway-controller");
  validate->add_option("--address-pool", validate_flags.address_pool)->default_val("127.0.1.0/24");

  gatehouse::main::StatusFlags status_flags;
  auto* status = app.add_subcommand(
      "status", "The objects of a running instance (its admin API) with their conditions, and its config errors");
  status->add_option("--admin-address", status_flags.admin_address, "The instance's admin API HOST:PORT")
      ->default_val("127.0.0.1:15000");
  status->add_option("-o,--output", status_flags.output, "text (a line per object), json or yaml (the full statuses)")
      ->check(CLI::IsMember({"text", "json", "yaml"}))
      ->default_val("text");

  gatehouse::main::ExplainFlags explain_flags;
  auto* explain = app.add_subcommand(
      "explain", "Why a route is (not) attached, listener by listener, or (--request) where a request would go");
  explain->add_option("dir", explain_flags.dir, "Directory of manifests (not with --kubernetes)");
  auto* explain_route = explain->add_option("route", explain_flags.route,
                                            "The route: [KIND/][NAMESPACE/]NAME (namespace default: default)");
  explain->add_flag("--kubernetes", explain_flags.kubernetes,
                    "Read the objects from the Kubernetes API server (read only) instead of a directory");
  explain
      ->add_option("--kubeconfig", explain_flags.kubeconfig,
                   "kubeconfig to reach the API server with (default: $KUBECONFIG, else the pod's service account)")
      ->needs(explain->get_option("--kubernetes"));
  auto* explain_request =
      explain->add_option("--request", explain_flags.request, "'METHOD http://host[:port]/path': explain this request");
  explain_route->excludes(explain_request);
  explain->add_option("-H,--header", explain_flags.headers, "'Name: value' of the request (repeatable)")
      ->needs(explain_request);
  explain->add_option("--gateway", explain_flags.gateway, "NAMESPACE/NAME: only this Gateway's listeners")
      ->needs(explain_request);
  explain->add_option("-o,--output", explain_flags.output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_val("text");
  explain->add_option("--controller-name", explain_flags.controller_name)
      ->default_val("gatehouse.dev/gateway-controller");
  explain->add_option("--address-pool", explain_flags.address_pool)->default_val("127.0.1.0/24");

  gatehouse::main::ConvertFlags convert_flags;
  auto* convert = app.add_subcommand("convert", "Other formats into Gateway API objects");
  convert->require_subcommand(1);
  auto* convert_ingress = convert->add_subcommand(
      "ingress", "Ingress objects (ingress-nginx annotations) into Gateways and HTTPRoutes on stdout; what could "
                 "not be converted on stderr");
  convert_ingress->add_option("files", convert_flags.files, "Files of Ingress manifests")->required();
  convert_ingress->add_option("--gateway-class", convert_flags.gateway_class, "gatewayClassName of the Gateways")
      ->default_val("gatehouse");

  gatehouse::main::GoldenFlags golden_flags;
  auto* golden = app.add_subcommand("golden", "Translator golden test: IN.in.yaml against IN.out.yaml");
  golden->add_option("input", golden_flags.input, "The .in.yaml case")->required();
  golden->add_flag("--update", golden_flags.update, "Rewrite the .out.yaml from the current translator");

  CLI11_PARSE(app, argc, argv);
  if (*explain) {
    // `explain --kubernetes ROUTE`: the one positional is the route, there is no directory.
    if (explain_flags.kubernetes && explain_flags.route.empty()) std::swap(explain_flags.dir, explain_flags.route);
    if (explain_flags.kubernetes ? !explain_flags.dir.empty() : explain_flags.dir.empty()) {
      std::fprintf(stderr, "explain: give a manifest directory, or --kubernetes (not both)\n");
      return 2;
    }
  }
  if (*serve && serve_flags.dir.empty() && !serve_flags.kubernetes) {
    std::fprintf(stderr, "serve: give a manifest directory, or --kubernetes\n");
    return 2;
  }
  if (*serve && serve_flags.provision && (serve_flags.stream_cert.empty() || serve_flags.stream_key.empty())) {
    std::fprintf(stderr, "serve: --provision needs --stream-cert and --stream-key\n");
    return 2;
  }
  // With --provision each data plane listens on its pod's address (--bind-address): pool addresses
  // only keep the Gateways' listeners apart in the translation, so the pool must not run out.
  if (*serve && serve_flags.provision && serve->get_option("--address-pool")->count() == 0)
    serve_flags.address_pool = "127.0.0.0/8";
  if (*serve) return gatehouse::main::serve(serve_flags);
  if (*dataplane) return gatehouse::main::dataplane(dp_flags);
  if (*validate) return gatehouse::main::validate(validate_flags);
  if (*golden) return gatehouse::main::golden(golden_flags);
  if (*convert_ingress) return gatehouse::main::convertIngress(convert_flags);
  if (*status) return gatehouse::main::status(status_flags);
  if (*explain) {
    if (explain_flags.route.empty() && explain_flags.request.empty()) {
      std::fprintf(stderr, "explain: give a ROUTE or --request\n");
      return 2;
    }
    return gatehouse::main::explain(explain_flags);
  }
  return 2;
}
