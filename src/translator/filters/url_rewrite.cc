// URLRewrite: hostname and path as written.
#include "translator/filters/filter_compiler.h"

namespace gatehouse::translator {

CompiledFilter compileUrlRewrite(const model::HTTPRouteFilter& filter, FilterCompileContext&) {
  const auto& rw = filter.url_rewrite;
  if (!rw) return {std::nullopt, true};
  return {snapshot::UrlRewrite{rw->hostname, compilePathModifier(rw->path)}, false};
}

}  // namespace gatehouse::translator
