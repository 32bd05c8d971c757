#include <gtest/gtest.h>

#include <variant>

#include "translator/filters/filter_compiler.h"

namespace gatehouse::translator {
namespace {

// Resolves every backend to cluster 7, or fails with `failure` when one is set.
class FixedResolver : public BackendResolver {
 public:
  std::optional<Condition> failure;
  std::optional<uint32_t> resolve(const model::BackendObjectRef&, std::optional<Condition>& problem) override {
    if (failure) {
      problem = failure;
      return std::nullopt;
    }
    return 7;
  }
};

CompiledFilter compile(const model::HTTPRouteFilter& filter, FixedResolver& resolver, std::optional<Condition>& problem) {
  FilterCompileContext context{resolver, problem};
  FilterCompiler compiler = filterCompiler(filter.type);
  EXPECT_NE(compiler, nullptr) << filter.type;
  return compiler ? compiler(filter, context) : CompiledFilter{};
}

TEST(FilterCompilers, EveryTypeWeServeIsRegistered) {
  for (const char* type : {"RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite",
                           "RequestMirror", "CORS"})
    EXPECT_NE(filterCompiler(type), nullptr) << type;
}

TEST(FilterCompilers, UnbuiltTypesAreNotRegistered) {
  EXPECT_EQ(filterCompiler("ExtensionRef"), nullptr);
  EXPECT_EQ(filterCompiler("requestHeaderModifier"), nullptr);  // the type is case-sensitive
}

TEST(FilterCompilers, ResponseHeaderModifierKeepsItsListsAsWritten) {
  model::HTTPRouteFilter f;
  f.type = "ResponseHeaderModifier";
  f.response_header_modifier = model::HTTPHeaderModifier{{{"X-A", "1"}}, {{"X-B", "2"}}, {"X-C"}};
  FixedResolver resolver;
  std::optional<Condition> problem;
  CompiledFilter out = compile(f, resolver, problem);
  ASSERT_TRUE(out.filter);
  const auto& m = std::get<snapshot::ResponseHeaderModifier>(*out.filter);
  EXPECT_EQ(m.set, (std::vector<std::pair<std::string, std::string>>{{"X-A", "1"}}));
  EXPECT_EQ(m.add, (std::vector<std::pair<std::string, std::string>>{{"X-B", "2"}}));
  EXPECT_EQ(m.remove, std::vector<std::string>{"X-C"});
  EXPECT_FALSE(out.unsupported);
}

TEST(FilterCompilers, MirrorFractionWinsOverPercent) {
  model::HTTPRouteFilter f;
  f.type = "RequestMirror";
  f.request_mirror = model::HTTPRequestMirror{};
  f.request_mirror->percent = 20;
  f.request_mirror->fraction = model::HTTPRequestMirror::Fraction{1, 3};
  FixedResolver resolver;
  std::optional<Condition> problem;
  CompiledFilter out = compile(f, resolver, problem);
  ASSERT_TRUE(out.filter);
  const auto& m = std::get<snapshot::RequestMirror>(*out.filter);
  EXPECT_EQ(m.cluster, 7u);
  EXPECT_EQ(m.numerator, 1u);
  EXPECT_EQ(m.denominator, 3u);
}

TEST(FilterCompilers, MirrorToAnUnresolvedBackendCompilesToNothingAndKeepsTheFirstProblem) {
  model::HTTPRouteFilter f;
  f.type = "RequestMirror";
  f.request_mirror = model::HTTPRequestMirror{};
  FixedResolver resolver;
  resolver.failure = Condition{condition::kResolvedRefs, false, reason::kBackendNotFound, "not found"};
  std::optional<Condition> problem = Condition{condition::kResolvedRefs, false, reason::kRefNotPermitted, "earlier"};
  CompiledFilter out = compile(f, resolver, problem);
  EXPECT_FALSE(out.filter);
  EXPECT_FALSE(out.unsupported);
  EXPECT_EQ(problem->message, "earlier");
}

TEST(FilterCompilers, ATypeWithoutItsFieldIsUnsupported) {
  model::HTTPRouteFilter f;
  f.type = "URLRewrite";
  FixedResolver resolver;
  std::optional<Condition> problem;
  CompiledFilter out = compile(f, resolver, problem);
  EXPECT_FALSE(out.filter);
  EXPECT_TRUE(out.unsupported);
}

}  // namespace
}  // namespace gatehouse::translator
