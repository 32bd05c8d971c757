// TCPRoute (TCP listeners), UDPRoute (UDP listeners) and TLSRoute (TLS listeners, routed by SNI):
// each compiles to one rule of weighted backends, placed in the listener's L4 table under every
// host it attached for (TCP and UDP: "" only, their routes have no hostnames).
#include "model/types/l4_route.h"
#include "translator/route_kind.h"

namespace gatehouse::translator {

namespace snap = gatehouse::snapshot;

namespace {

class CompiledL4Route : public CompiledRoute {
 public:
  void place(ListenerTables& tables, const std::string& host, const RouteIdentity* owner) const override {
    tables.l4.add(host, &rule, owner);
  }

  snap::Rule rule;
};

class L4RouteKind : public RouteKind {
 public:
  constexpr L4RouteKind(std::string_view kind, std::string_view protocol) : kind_(kind), protocol_(protocol) {}

  std::string_view kind() const override { return kind_; }
  bool servesProtocol(std::string_view protocol) const override { return protocol == protocol_; }

  std::unique_ptr<CompiledRoute> compile(const model::Resource& route, BackendResolver& backends) const override {
    const auto& spec = *route.as<model::L4Route>();
    auto out = std::make_unique<CompiledL4Route>();
    std::optional<Condition> problem;
    snap::Rule& rule = out->rule;
    rule.route = route.key.ns + "/" + route.key.name;
    for (const auto& r : spec.rules) {  // one, by the schema
      rule.name = r.name;
      for (const auto& ref : r.backend_refs) {
        snap::WeightedBackend wb;
        wb.weight = static_cast<uint32_t>(ref.weight);
        if (wb.weight == 0) continue;
        // Unresolved: the connections picked for it are refused.
        wb.cluster = backends.resolve(ref.ref, problem);
        rule.total_weight += wb.weight;
        rule.backends.push_back(std::move(wb));
      }
    }
    if (problem) out->resolved_refs = *problem;
    return out;
  }

 private:
  std::string_view kind_, protocol_;
};

}  // namespace

const RouteKind& tcpRouteKind() {
  static const L4RouteKind kind("TCPRoute", "TCP");
  return kind;
}

const RouteKind& udpRouteKind() {
  static const L4RouteKind kind("UDPRoute", "UDP");
  return kind;
}

const RouteKind& tlsRouteKind() {
  static const L4RouteKind kind("TLSRoute", "TLS");
  return kind;
}

}  // namespace gatehouse::translator
