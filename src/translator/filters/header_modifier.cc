// RequestHeaderModifier / ResponseHeaderModifier: the header lists, as written.
#include "translator/filters/filter_compiler.h"

namespace gatehouse::translator {

namespace {

void copyLists(const model::HTTPHeaderModifier& from, snapshot::HeaderModifier& to) {
  for (const auto& h : from.set) to.set.emplace_back(h.name, h.value);
  for (const auto& h : from.add) to.add.emplace_back(h.name, h.value);
  to.remove = from.remove;
}

}  // namespace

CompiledFilter compileRequestHeaderModifier(const model::HTTPRouteFilter& filter, FilterCompileContext&) {
  if (!filter.request_header_modifier) return {std::nullopt, true};
  snapshot::RequestHeaderModifier out;
  copyLists(*filter.request_header_modifier, out);
  return {std::move(out), false};
}

CompiledFilter compileResponseHeaderModifier(const model::HTTPRouteFilter& filter, FilterCompileContext&) {
  if (!filter.response_header_modifier) return {std::nullopt, true};
  snapshot::ResponseHeaderModifier out;
  copyLists(*filter.response_header_modifier, out);
  return {std::move(out), false};
}

}  // namespace gatehouse::translator
