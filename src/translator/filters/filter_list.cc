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

}  // namespace gatehouse::translator
