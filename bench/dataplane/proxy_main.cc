// dataplane_proxy LISTEN_PORT BACKEND_PORT [WORKERS]
// Serves 127.0.0.1:LISTEN_PORT, every request to 127.0.0.1:BACKEND_PORT, until SIGINT/SIGTERM.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "dataplane/dataplane.h"

using namespace gatehouse;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: dataplane_proxy LISTEN_PORT BACKEND_PORT [WORKERS]\n");
    return 2;
  }
  dataplane::Options options;
  options.workers = argc > 3 ? static_cast<unsigned>(std::atoi(argv[3])) : 1;
  options.timeouts.keepalive_idle = std::chrono::minutes(10);
  options.timeouts.request_header = std::chrono::minutes(10);

  auto s = std::make_shared<snapshot::Snapshot>();
  snapshot::Cluster cluster;
  cluster.name = "bench/backend:80";
  cluster.endpoints.push_back({"127.0.0.1", static_cast<uint16_t>(std::atoi(argv[2]))});
  s->clusters.push_back(std::make_shared<const snapshot::Cluster>(cluster));
  snapshot::Rule rule;
  rule.route = "bench/route";
  rule.backends.push_back({0u, 1, {}});
  rule.total_weight = 1;
  snapshot::RouteTable table;
  table.rules.push_back(rule);
  table.entries.push_back({snapshot::RouteMatch{}, 0});
  snapshot::Listener listener;
  listener.gateway = "bench/gw";
  listener.name = "http";
  listener.hosts.any = std::make_shared<snapshot::RouteTable>(table);
  snapshot::Socket socket;
  socket.address = "127.0.0.1";
  socket.port = static_cast<uint16_t>(std::atoi(argv[1]));
  socket.listeners.push_back(listener);
  s->sockets.push_back(socket);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // workers inherit the mask

  dataplane::DataPlane plane(options);
  for (const auto& error : plane.apply(s)) {
    std::fprintf(stderr, "%s: %s\n", error.socket.c_str(), error.message.c_str());
    return 1;
  }
  int received = 0;
  sigwait(&signals, &received);
  plane.stop();
  return 0;
}
