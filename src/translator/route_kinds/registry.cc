// The route kinds the translator serves: one line each.
#include "translator/route_kind.h"

namespace gatehouse::translator {

const RouteKind& httpRouteKind();  // route_kinds/http_route.cc
const RouteKind& grpcRouteKind();  // route_kinds/grpc_route.cc
const RouteKind& tlsRouteKind();   // route_kinds/l4_routes.cc
const RouteKind& tcpRouteKind();   // route_kinds/l4_routes.cc
const RouteKind& udpRouteKind();   // route_kinds/l4_routes.cc

const std::vector<const RouteKind*>& routeKinds() {
  static const std::vector<const RouteKind*> kinds = {&httpRouteKind(), &grpcRouteKind(), &tlsRouteKind(),
                                                      &tcpRouteKind(), &udpRouteKind()};
  return kinds;
}

const RouteKind* findRouteKind(std::string_view kind) {
  for (const auto* k : routeKinds())
    if (k->kind() == kind) return k;
  return nullptr;
}

}  // namespace gatehouse::translator
