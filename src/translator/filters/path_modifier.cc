// HTTPPathModifier, shared by RequestRedirect and URLRewrite.
#include "translator/filters/filter_compiler.h"

namespace gatehouse::translator {

std::optional<snapshot::PathModifier> compilePathModifier(const std::optional<model::HTTPPathModifier>& modifier) {
  if (!modifier) return std::nullopt;
  snapshot::PathModifier out;
  if (modifier->type == "ReplacePrefixMatch") out.type = snapshot::PathModifier::Type::ReplacePrefixMatch;
  out.value = modifier->value;
  return out;
}

}  // namespace gatehouse::translator
