// RequestRedirect: scheme, hostname, port, path and status as written (validation bounds them).
#include "translator/filters/filter_compiler.h"

namespace gatehouse::translator {

CompiledFilter compileRequestRedirect(const model::HTTPRouteFilter& filter, FilterCompileContext&) {
  const auto& r = filter.request_redirect;
  if (!r) return {std::nullopt, true};
  snapshot::RequestRedirect out;
  out.scheme = r->scheme;
  out.hostname = r->hostname;
  if (r->port) out.port = static_cast<uint16_t>(*r->port);
  out.path = compilePathModifier(r->path);
  out.status_code = static_cast<uint16_t>(r->status_code);
  return {std::move(out), false};
}

}  // namespace gatehouse::translator
