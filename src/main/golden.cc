// Translator golden tests (copied from Envoy Gateway's practice): a case is one manifest file
// X.in.yaml; its expected statuses, config errors and snapshot dump are X.out.yaml (JSON, which
// is YAML). `--update` rewrites the expectation.
//
// A case may load more files first, one line `# include: PATH` each, in order, before its own
// objects. `${GATEWAY_API}/...` names a file of the upstream Gateway API release, read from
// shared/gateway-api/v1.6.1 beside the repository (the upstream files are never copied into the
// repository); other paths are relative to the case file. The conformance suite's placeholders
// in the upstream files are rendered as the local conformance runner renders them.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "main/commands.h"
#include "main/offline.h"
#include "model/resource.h"
#include "snapshot/codec.h"
#include "snapshot/dump.h"

namespace gatehouse::main {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kIncludeDirective = "# include: ";
constexpr std::string_view kGatewayApiVariable = "${GATEWAY_API}";
const fs::path kGatewayApiInShared = fs::path("shared") / "gateway-api" / "v1.6.1";
const std::string kControllerName = "gatehouse.dev/gateway-controller";

std::optional<std::string> readFile(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> includesOf(const std::string& case_text) {
  std::vector<std::string> includes;
  std::istringstream lines(case_text);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with(kIncludeDirective)) includes.push_back(line.substr(kIncludeDirective.size()));
  return includes;
}

// shared/gateway-api/v1.6.1 in the nearest ancestor of `from` that has it: beside the repository
// in CI (<repo>/../shared), two levels up from a git worktree (<main>/../wt/<name>).
std::optional<fs::path> findGatewayApi(const fs::path& from) {
  for (fs::path dir = from;; dir = dir.parent_path()) {
    if (fs::is_directory(dir / kGatewayApiInShared)) return dir / kGatewayApiInShared;
    if (dir == dir.parent_path()) return std::nullopt;
  }
}

// The templates of the upstream manifests, rendered with the values the local conformance runner
// uses (conformance/runner/manifests.py, cli.py defaults): every upstream Gateway names the class
// by {GATEWAY_CLASS_NAME}, so rendering the text equals the runner's gatewayClassName rewrite; the
// one static-addresses Gateway lists its placeholders after the fake-type address, the order the
// runner's rewrite produces.
std::string renderUpstream(std::string text) {
  const std::pair<std::string_view, std::string_view> templates[] = {
      {"{GATEWAY_CLASS_NAME}", "gatehouse"},
      {"{GATEWAY_CONTROLLER_NAME}", kControllerName},
      {"PLACEHOLDER_USABLE_ADDRS", "127.0.1.254"},  // the runner's default: last host of the pool
      {"PLACEHOLDER_UNUSABLE_ADDRS", "192.0.2.1"},  // TEST-NET-1, never bound here
  };
  for (auto [from, to] : templates)
    for (size_t at; (at = text.find(from)) != std::string::npos;) text.replace(at, from.size(), to);
  return text;
}

// The case's files, includes first, each under a name that does not depend on where the
// repository or shared/ lies (the name appears in config errors); nullopt after reporting why.
std::optional<std::vector<providers::FileChange>> loadCase(const fs::path& case_path) {
  auto case_text = readFile(case_path);
  if (!case_text) {
    std::fprintf(stderr, "golden: cannot read %s\n", case_path.c_str());
    return std::nullopt;
  }
  const fs::path case_dir = fs::absolute(case_path).parent_path();
  std::vector<providers::FileChange> files;
  std::optional<fs::path> gateway_api;
  for (const auto& include : includesOf(*case_text)) {
    fs::path path = case_dir / include;
    const bool upstream = include.starts_with(kGatewayApiVariable);
    if (upstream) {
      if (!gateway_api) gateway_api = findGatewayApi(case_dir);
      if (!gateway_api) {
        std::fprintf(stderr,
                     "golden: %s includes %s, but no ancestor of %s has %s: check out shared/ beside the "
                     "repository (as CI does)\n",
                     case_path.c_str(), include.c_str(), case_dir.c_str(), kGatewayApiInShared.c_str());
        return std::nullopt;
      }
      path = *gateway_api / fs::path(include.substr(kGatewayApiVariable.size())).relative_path();
    }
    auto text = readFile(path);
    if (!text) {
      std::fprintf(stderr, "golden: %s includes %s: cannot read %s\n", case_path.c_str(), include.c_str(),
                   path.c_str());
      return std::nullopt;
    }
    files.push_back({include, false, upstream ? renderUpstream(std::move(*text)) : std::move(*text)});
  }
  files.push_back({"case.in.yaml", false, std::move(*case_text)});
  return files;
}

// What a data plane in another process would serve: the snapshot after encode/decode, whole and
// per Gateway. nullopt when each dumps as the original does; else what differs.
std::optional<std::string> codecProblem(const snapshot::Snapshot& compiled) {
  std::set<std::string> gateways;
  for (const auto& socket : compiled.sockets)
    for (const auto& listener : socket.listeners) gateways.insert(listener.gateway);
  std::vector<std::pair<std::string, snapshot::Snapshot>> views = {{"the whole snapshot", compiled}};
  for (const auto& gateway : gateways) views.emplace_back("Gateway " + gateway, snapshot::forGateway(compiled, gateway));
  for (const auto& [what, view] : views) {
    const std::string bytes = snapshot::encode(view);
    auto decoded = snapshot::decode(bytes);
    if (!decoded.ok()) return what + " does not decode: " + decoded.error().message;
    if (snapshot::encode(*decoded.value()) != bytes) return what + " encodes differently after decoding";
    const model::Json before = snapshot::toJson(view);
    const model::Json after = snapshot::toJson(*decoded.value());
    if (before != after)
      return what + " dumps differently after decoding (JSON patch):\n" + model::Json::diff(before, after).dump(2);
  }
  return std::nullopt;
}

}  // namespace

int golden(const GoldenFlags& flags) {
  auto files = loadCase(flags.input);
  if (!files) return 2;
  translator::Options options{kControllerName, "127.0.1.0/24", {"Gateway", "HTTPRoute"}};
  // A fixed clock makes creation timestamps (and so precedence ties) deterministic.
  auto result = translateFiles(*files, options, [] { return std::string("2026-01-01T00:00:00Z"); });
  model::Json actual = {{"errors", result.errors}, {"statuses", result.statuses}, {"snapshot", result.snapshot}};
  if (auto problem = codecProblem(*result.compiled)) {
    std::fprintf(stderr, "golden: %s: %s\n", flags.input.c_str(), problem->c_str());
    return 1;
  }

  std::string out_path = flags.input.substr(0, flags.input.size() - std::string(".in.yaml").size()) + ".out.yaml";
  if (flags.update) {
    std::ofstream(out_path) << actual.dump(2) << "\n";
    std::printf("golden: wrote %s\n", out_path.c_str());
    return 0;
  }
  auto expected_text = readFile(out_path);
  if (!expected_text) {
    std::fprintf(stderr, "golden: %s missing; run with --update to create it\n", out_path.c_str());
    return 1;
  }
  auto expected = model::Json::parse(*expected_text, nullptr, false);
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
