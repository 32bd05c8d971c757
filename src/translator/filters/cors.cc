// CORS: the lists as written; the data plane matches origins and answers preflights.
#include "translator/filters/filter_compiler.h"

namespace gatehouse::translator {

CompiledFilter compileCors(const model::HTTPRouteFilter& filter, FilterCompileContext&) {
  const auto& c = filter.cors;
  if (!c) return {std::nullopt, true};
  snapshot::Cors out;
  out.allow_origins = c->allow_origins;
  out.allow_methods = c->allow_methods;
  out.allow_headers = c->allow_headers;
  out.expose_headers = c->expose_headers;
  out.allow_credentials = c->allow_credentials;
  out.max_age = static_cast<uint32_t>(c->max_age);
  return {std::move(out), false};
}

}  // namespace gatehouse::translator
