// RequestMirror: the mirror backend resolved to a cluster, and the fraction mirrored (percent or
// fraction; 100% when neither). An unresolved backend is reported in ResolvedRefs and the copy is
// dropped; the rule itself still serves.
#include "translator/filters/filter_compiler.h"

namespace gatehouse::translator {

CompiledFilter compileRequestMirror(const model::HTTPRouteFilter& filter, FilterCompileContext& context) {
  const auto& m = filter.request_mirror;
  if (!m) return {std::nullopt, true};
  std::optional<Condition> mirror_problem;
  const std::optional<uint32_t> cluster = context.backends.resolve(m->backend_ref, mirror_problem);
  if (mirror_problem && !context.problem) context.problem = mirror_problem;
  if (!cluster) return {};
  snapshot::RequestMirror mirror{*cluster, 100, 100};
  if (m->percent) mirror = {*cluster, static_cast<uint32_t>(*m->percent), 100};
  if (m->fraction)
    mirror = {*cluster, static_cast<uint32_t>(m->fraction->numerator),
              static_cast<uint32_t>(m->fraction->denominator)};
  return {mirror, false};
}

}  // namespace gatehouse::translator
