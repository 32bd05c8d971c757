#pragma once
// HTTPRoute filters compiled one type at a time: each type's compile step lives in its own file
// and is registered by its Gateway API `type` in registry.cc (the only list of supported types).
#include <optional>
#include <string_view>

#include "model/types/http_route.h"
#include "snapshot/snapshot.h"
#include "translator/route_kind.h"

namespace gatehouse::translator {

// What a compile step may use: backend resolution, and the route's first problem (kept for its
// ResolvedRefs condition).
struct FilterCompileContext {
  BackendResolver& backends;
  std::optional<Condition>& problem;
};

// The outcome of compiling one filter.
struct CompiledFilter {
  std::optional<snapshot::Filter> filter;  // nullopt: compiles to nothing (a mirror to an unresolved backend)
  bool unsupported = false;                // cannot be applied: requests it would see get a 500
};

using FilterCompiler = CompiledFilter (*)(const model::HTTPRouteFilter& filter, FilterCompileContext& context);

// The compile step registered for a Gateway API filter type, or nullptr when the type is not
// supported (ExtensionRef and types not built yet).
FilterCompiler filterCompiler(std::string_view type);

// Compiles a filter list in the route's order, each filter by the step registered for its type;
// a filter that cannot be applied sets `broken` (the rule answers 500) and ExtensionRef also
// sets `problem` (ResolvedRefs InvalidKind) unless one is set already.
snapshot::Filters compileFilters(const std::vector<model::HTTPRouteFilter>& list, BackendResolver& backends,
                                 std::optional<Condition>& problem, bool& broken);

// A rule's filters and weighted backendRefs (each with its own filters) into `rule`, for the
// route kinds of HTTPRoute's shape. A rule with a filter that cannot be applied answers every
// request with an error (one invalid backend), and its redirect is dropped.
void compileRuleActions(const std::vector<model::HTTPRouteFilter>& filters,
                        const std::vector<model::HTTPBackendRef>& backend_refs, BackendResolver& backends,
                        std::optional<Condition>& problem, snapshot::Rule& rule);

// Shared by RequestRedirect and URLRewrite.
std::optional<snapshot::PathModifier> compilePathModifier(const std::optional<model::HTTPPathModifier>& modifier);

// The compile steps, one per file.
CompiledFilter compileRequestHeaderModifier(const model::HTTPRouteFilter& filter, FilterCompileContext& context);
CompiledFilter compileResponseHeaderModifier(const model::HTTPRouteFilter& filter, FilterCompileContext& context);
CompiledFilter compileRequestRedirect(const model::HTTPRouteFilter& filter, FilterCompileContext& context);
CompiledFilter compileUrlRewrite(const model::HTTPRouteFilter& filter, FilterCompileContext& context);
CompiledFilter compileRequestMirror(const model::HTTPRouteFilter& filter, FilterCompileContext& context);
CompiledFilter compileCors(const model::HTTPRouteFilter& filter, FilterCompileContext& context);

}  // namespace gatehouse::translator
