// `gatehouse explain`: why a route is (not) attached, and where a request would go. Both answers
// come from the translator's own run over the directory (or, --kubernetes, a listing of the API
// server) and the data plane's router on the compiled snapshot, so they cannot drift from what
// `serve` does.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <mutex>

#include "common/log.h"
#include "main/commands.h"
#include "main/explain_request.h"
#include "main/features.h"
#include "providers/file/directory_watcher.h"
#include "providers/file/manifest_files.h"
#include "providers/kube/kube_provider.h"
#include "translator/route_kind.h"
#include "translator/translator.h"

namespace gatehouse::main {

using model::Json;

namespace {

// "[KIND/][NAMESPACE/]NAME"; without a kind, every route kind is tried.
std::vector<model::ObjectKey> routeCandidates(const std::string& spec, const store::View& view) {
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    size_t slash = spec.find('/', start);
    parts.push_back(spec.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  std::string kind, ns = "default", name = parts.back();
  if (parts.size() == 3) {
    kind = parts[0];
    ns = parts[1];
  } else if (parts.size() == 2) {
    if (translator::findRouteKind(parts[0])) kind = parts[0];
    else ns = parts[0];
  } else if (parts.size() != 1) {
    return {};
  }
  std::vector<model::ObjectKey> found;
  for (const auto* k : translator::routeKinds()) {
    model::ObjectKey key{std::string(k->kind()), ns, name};
    if ((kind.empty() || kind == key.kind) && view.find(key)) found.push_back(key);
  }
  return found;
}

std::string parentName(const Json& ref) {
  std::string out = ref.value("kind", "") + " " + ref.value("namespace", "") + "/" + ref.value("name", "");
  if (ref.contains("sectionName")) out += " sectionName " + ref["sectionName"].get<std::string>();
  if (ref.contains("port")) out += " port " + std::to_string(ref["port"].get<int64_t>());
  return out;
}

Json toJson(const translator::RouteExplanation& e, const std::string& controller) {
  Json parents = Json::array();
  for (const auto& p : e.parents) {
    Json listeners = Json::array();
    for (const auto& l : p.listeners)
      listeners.push_back({{"owner", l.owner},         {"name", l.name},       {"protocol", l.protocol},
                           {"port", l.port},           {"hostname", l.hostname}, {"namespaces", l.namespaces},
                           {"kinds", l.kinds},         {"outcome", l.outcome}, {"detail", l.detail},
                           {"hostnames", l.hosts}});
    Json parent = {{"parentRef", p.parent_ref}, {"ours", p.ours}, {"listeners", listeners}};
    parent["conditions"] = translator::toJson(p.conditions, e.generation);
    if (!p.ours) parent["detail"] = "not a Gateway or ListenerSet of controller " + controller;
    parents.push_back(std::move(parent));
  }
  return {{"route", {{"kind", e.route.kind}, {"namespace", e.route.ns}, {"name", e.route.name}}},
          {"generation", e.generation},
          {"hostnames", e.hostnames},
          {"parents", parents}};
}

void printText(const translator::RouteExplanation& e, const std::string& controller) {
  std::string hostnames;
  for (const auto& h : e.hostnames) hostnames += (hostnames.empty() ? "" : ", ") + h;
  std::printf("%s %s/%s, generation %lld, hostnames: %s\n", e.route.kind.c_str(), e.route.ns.c_str(),
              e.route.name.c_str(), static_cast<long long>(e.generation),
              hostnames.empty() ? "any" : hostnames.c_str());
  for (const auto& p : e.parents) {
    std::printf("parentRef %s:\n", parentName(p.parent_ref).c_str());
    if (!p.ours) {
      std::printf("  not a Gateway or ListenerSet of controller %s\n", controller.c_str());
      continue;
    }
    if (p.listeners.empty()) std::printf("  no listeners\n");
    for (const auto& l : p.listeners) {
      std::string kinds;
      for (const auto& k : l.kinds) kinds += (kinds.empty() ? "" : ", ") + k;
      std::printf("  listener %s of %s: %s port %lld, hostname %s; routes from %s, kinds %s\n", l.name.c_str(),
                  l.owner.c_str(), l.protocol.c_str(), static_cast<long long>(l.port),
                  l.hostname.empty() ? "any" : l.hostname.c_str(), l.namespaces.c_str(),
                  kinds.empty() ? "none" : kinds.c_str());
      std::printf("    %s: %s\n", l.outcome.c_str(), l.detail.c_str());
    }
    for (const auto& c : p.conditions)
      std::printf("  %s %s %s: %s\n", c.type.c_str(), c.status ? "True" : "False", c.reason.c_str(),
                  c.message.c_str());
  }
}

// Collects the provider's first listing; `listed` is set once it is complete.
class Listing : public providers::UpdateSink {
 public:
  void load(std::vector<store::SourceUpdate> part) override {
    std::lock_guard lock(mutex_);
    for (auto& u : part) updates_.push_back(std::move(u));
  }
  void update(std::vector<store::SourceUpdate> batch) override {
    std::lock_guard lock(mutex_);
    for (auto& u : batch) updates_.push_back(std::move(u));
    if (!done_) {
      done_ = true;
      listed_.set_value();
    }
  }
  bool wait(std::chrono::seconds limit) { return listed_future_.wait_for(limit) == std::future_status::ready; }
  std::vector<store::SourceUpdate> take() {
    std::lock_guard lock(mutex_);
    return std::move(updates_);
  }

 private:
  std::mutex mutex_;
  std::vector<store::SourceUpdate> updates_;
  bool done_ = false;
  std::promise<void> listed_;
  std::future<void> listed_future_ = listed_.get_future();
};

// Every object of the watched kinds as the API server lists them, through the same provider as
// `serve --kubernetes`, read only (no Lease, no writes).
Result<std::vector<store::SourceUpdate>> listCluster(const ExplainFlags& flags) {
  providers::kube::KubeOptions options;
  options.kubeconfig = flags.kubeconfig;
  options.controller_name = flags.controller_name;
  options.read_only = true;
  providers::kube::KubeProvider provider(std::move(options));
  Listing listing;
  if (auto started = provider.start(&listing); !started) return started.error();
  const bool listed = listing.wait(std::chrono::seconds(30));
  provider.stop();
  if (!listed) return Error{"kubernetes: the API server did not complete a listing within 30 s"};
  return listing.take();
}

}  // namespace

int explain(const ExplainFlags& flags) {
  store::Store store(store::nowRfc3339);
  if (flags.kubernetes) {
    log::init(spdlog::level::warn);  // stdout is the answer; only problems go to stderr
    auto updates = listCluster(flags);
    if (!updates) {
      std::fprintf(stderr, "explain: %s\n", updates.error().message.c_str());
      return 2;
    }
    for (auto& u : *updates) store.apply(std::move(u));
  } else {
    if (!std::filesystem::is_directory(flags.dir)) {
      std::fprintf(stderr, "explain: %s is not a directory\n", flags.dir.c_str());
      return 2;
    }
    providers::ManifestFiles manifests;
    for (const auto& f : providers::DirectoryWatcher(flags.dir).scan()) store.apply(manifests.read(f.path, f.content));
  }
  for (const auto& e : store.errors())
    std::fprintf(stderr, "error: %s: %s: %s\n", e.source.c_str(), e.object.c_str(), e.reason.c_str());
  auto view = store.view();
  translator::Translator translator({flags.controller_name, flags.address_pool, supportedFeatures()});
  auto result = translator.update(*view, {});

  if (!flags.request.empty()) {
    auto request = parseRequest(flags.request, flags.headers);
    if (!request.error.empty()) {
      std::fprintf(stderr, "explain: %s\n", request.error.c_str());
      return 2;
    }
    auto answers = explainRequest(*result.snapshot, *view, request, flags.gateway);
    if (flags.output == "json") {
      Json out = Json::array();
      for (const auto& a : answers) out.push_back(toJson(a));
      std::printf("%s\n", (out.size() == 1 ? out[0] : out).dump(2).c_str());
    } else {
      for (size_t i = 0; i < answers.size(); ++i) {
        if (i > 0) std::printf("\n");
        printText(answers[i]);
      }
    }
    return !answers.empty() && answers.front().route ? 0 : 1;
  }

  auto keys = routeCandidates(flags.route, *view);
  if (keys.size() != 1) {
    std::fprintf(stderr, "explain: %s\n",
                 keys.empty() ? ("no route " + flags.route + " (give [KIND/][NAMESPACE/]NAME)").c_str()
                              : ("several routes are named " + flags.route + "; give KIND/NAMESPACE/NAME").c_str());
    return 2;
  }
  auto explanation = translator.explainRoute(keys.front());
  if (!explanation) return 2;
  if (flags.output == "json") std::printf("%s\n", toJson(*explanation, flags.controller_name).dump(2).c_str());
  else printText(*explanation, flags.controller_name);
  bool accepted = !explanation->parents.empty();
  for (const auto& p : explanation->parents) {
    const auto* c = translator::findCondition(p.conditions, translator::condition::kAccepted);
    accepted &= c && c->status;
  }
  return accepted ? 0 : 1;
}

}  // namespace gatehouse::main
