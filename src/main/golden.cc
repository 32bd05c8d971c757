// Translator golden tests (copied from Envoy Gateway's practice): a case is one manifest file
// X.in.yaml; its expected statuses, config errors and snapshot dump are X.out.yaml (JSON, which
// is YAML). `--update` rewrites the expectation.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "main/commands.h"
#include "main/offline.h"
#include "model/manifest.h"

namespace gatehouse::main {

int golden(const GoldenFlags& flags) {
  std::ifstream in(flags.input);
  if (!in) {
    std::fprintf(stderr, "golden: cannot read %s\n", flags.input.c_str());
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  translator::Options options{"gatehouse.dev/gateway-controller", "127.0.1.0/24", {"Gateway", "HTTPRoute"}};
  // A fixed clock makes creation timestamps (and so precedence ties) deterministic.
  auto result = translateFiles({{"case.in.yaml", false, text.str()}}, options,
                               [] { return std::string("2026-01-01T00:00:00Z"); });
  model::Json actual = {{"errors", result.errors}, {"statuses", result.statuses}, {"snapshot", result.snapshot}};

  std::string out_path = flags.input.substr(0, flags.input.size() - std::string(".in.yaml").size()) + ".out.yaml";
  if (flags.update) {
    std::ofstream(out_path) << actual.dump(2) << "\n";
    std::printf("golden: wrote %s\n", out_path.c_str());
    return 0;
  }
  std::ifstream expected_in(out_path);
  if (!expected_in) {
    std::fprintf(stderr, "golden: %s missing; run with --update to create it\n", out_path.c_str());
    return 1;
  }
  std::stringstream expected_text;
  expected_text << expected_in.rdbuf();
  auto expected = model::Json::parse(expected_text.str(), nullptr, false);
  if (expected.is_discarded()) {
    std::fprintf(stderr, "golden: %s is not valid JSON\n", out_path.c_str());
    return 1;
  }
  if (expected == actual) {
    std::printf("golden: %s matches\n", out_path.c_str());
    return 0;
  }
  auto diff = model::Json::diff(expected, actual);
  std::fprintf(stderr, "golden: %s differs (JSON patch from expected to actual):\n%s\n", out_path.c_str(),
               diff.dump(2).c_str());
  return 1;
}

}  // namespace gatehouse::main
