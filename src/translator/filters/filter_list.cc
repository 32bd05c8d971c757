// A route's filter list compiled in the route's order, for every route kind whose filters have
// HTTPRoute's shape (HTTPRoute, GRPCRoute).
#include "translator/filters/filter_compiler.h"

namespace gatehouse::translator {

snapshot::Filters compileFilters(const std::vector<model::HTTPRouteFilter>& list, BackendResolver& backends,
                                 std::optional<Condition>& problem, bool& broken) {
  snapshot::Filters out;
  FilterCompileContext context{backends, problem};
  for (const auto& filter : list) {
    CompiledFilter compiled;
    if (FilterCompiler compile = filterCompiler(filter.type)) {
      compiled = compile(filter, context);
    } else {
      compiled.unsupported = true;
    }
    if (compiled.filter) out.push_back(std::move(*compiled.filter));
    if (!compiled.unsupported) continue;
    // ExtensionRef, CORS, and filters not built yet: the spec says never to skip a filter;
    // requests that would have passed through it get an error response.
    broken = true;
    if (!problem && filter.type == "ExtensionRef")
      problem = Condition{condition::kResolvedRefs, false, reason::kInvalidKind, "ExtensionRef filters are not supported"};
  }
  return out;
}

void compileRuleActions(const std::vector<model::HTTPRouteFilter>& filters,
                        const std::vector<model::HTTPBackendRef>& backend_refs, BackendResolver& backends,
                        std::optional<Condition>& problem, snapshot::Rule& rule) {
  bool broken = false;
  rule.filters = compileFilters(filters, backends, problem, broken);
  for (const auto& ref : backend_refs) {
    snapshot::WeightedBackend wb;
    wb.weight = static_cast<uint32_t>(ref.weight);
    if (wb.weight == 0) continue;
    wb.cluster = backends.resolve(ref.ref, problem);
    bool backend_broken = false;
    wb.filters = compileFilters(ref.filters, backends, problem, backend_broken);
    if (backend_broken) wb.cluster.reset();
    rule.total_weight += wb.weight;
    rule.backends.push_back(std::move(wb));
  }
  if (broken) {
    std::erase_if(rule.filters, [](const snapshot::Filter& f) { return std::holds_alternative<snapshot::RequestRedirect>(f); });
    rule.backends.assign(1, snapshot::WeightedBackend{});
    rule.total_weight = 1;
  }
}

}  // namespace gatehouse::translator
