// Gatehouse's own kind, GatehouseParameters (gatehouse.dev/v1alpha1), as its CRD
// deploy/crd-gatehouseparameters.yaml defines it: what a Gateway's data plane is provisioned
// with when the Gateway's infrastructure.parametersRef, or its GatewayClass's parametersRef,
// names it (docs/design/config-stream.md).
#include "model/kind_schemas.h"
#include "model/object_meta.h"

namespace gatehouse::model::kinds {

using namespace schema;

const Node& gatehouseParameters() {
  // A container's resources (core/v1 ResourceRequirements; quantities as the API takes them).
  const Schema quantities = MapOf(IntOrStr());
  static const Schema s = TopLevel(ObjectMeta(NameRule::Dns1123Subdomain),
                                   Obj({{"replicas", Int().min(0)},
                                        {"serviceType", Str().oneOf({"ClusterIP", "NodePort", "LoadBalancer"})},
                                        {"resources", Obj({{"limits", quantities}, {"requests", quantities}})},
                                        {"annotations", MapOf(Str())}}));
  return s.node();
}

}  // namespace gatehouse::model::kinds
