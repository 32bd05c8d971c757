// The supported HTTPRoute filter types, by their Gateway API `type`. A new filter is one line here.
#include <array>
#include <utility>

#include "translator/filters/filter_compiler.h"

namespace gatehouse::translator {

FilterCompiler filterCompiler(std::string_view type) {
  static constexpr std::array<std::pair<std::string_view, FilterCompiler>, 6> kCompilers{{
      {"RequestHeaderModifier", compileRequestHeaderModifier},
      {"ResponseHeaderModifier", compileResponseHeaderModifier},
      {"RequestRedirect", compileRequestRedirect},
      {"URLRewrite", compileUrlRewrite},
      {"RequestMirror", compileRequestMirror},
      {"CORS", compileCors},
  }};
  for (const auto& [name, compiler] : kCompilers)
    if (name == type) return compiler;
  return nullptr;
}

}  // namespace gatehouse::translator
