#include "providers/kube/kubeconfig.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/base64.h"
#include "model/manifest.h"

namespace gatehouse::providers::kube {
namespace {

using model::Json;

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot read " + path};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The entry named `name` of a kubeconfig list such as `clusters` ({name, cluster: {...}}).
const Json* namedEntry(const Json& config, const char* list, const char* field, const std::string& name) {
  auto it = config.find(list);
  if (it == config.end() || !it->is_array()) return nullptr;
  for (const auto& entry : *it)
    if (entry.is_object() && entry.value("name", "") == name && entry.contains(field) && entry[field].is_object())
      return &entry[field];
  return nullptr;
}

std::string str(const Json& object, const char* field) {
  auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<bool> parseServer(const std::string& url, ApiCredentials& out) {
  const std::string scheme = "https://";
  if (url.rfind(scheme, 0) != 0) return Error{"server " + url + ": only https:// API servers are supported"};
  std::string rest = url.substr(scheme.size());
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) out.path_prefix = rest.substr(slash);
  while (!out.path_prefix.empty() && out.path_prefix.back() == '/') out.path_prefix.pop_back();
  if (authority.starts_with('[')) {  // [IPv6]:port
    auto close = authority.find(']');
    if (close == std::string::npos) return Error{"server " + url + ": unterminated IPv6 address"};
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') out.port = authority.substr(close + 2);
  } else if (auto colon = authority.rfind(':'); colon != std::string::npos) {
    out.host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
  } else {
    out.host = authority;
  }
  if (out.host.empty() || out.port.empty()) return Error{"server " + url + ": no host or port"};
  out.server = url;
  return true;
}

// `data` (base64) or `file` (relative to the kubeconfig's folder), whichever is set.
Result<std::string> dataOrFile(const Json& section, const char* data_field, const char* file_field,
                               const std::filesystem::path& base) {
  if (auto data = str(section, data_field); !data.empty()) {
    auto decoded = model::base64Decode(data);
    if (!decoded) return Error{std::string(data_field) + " is not valid base64"};
    return *decoded;
  }
  if (auto file = str(section, file_field); !file.empty()) {
    std::filesystem::path path(file);
    return readFile(path.is_absolute() ? path.string() : (base / path).string());
  }
  return std::string();
}

}  // namespace

Result<ApiCredentials> loadKubeconfig(const std::string& path) {
  auto text = readFile(path);
  if (!text) return Error{"kubeconfig: " + text.error().message};
  auto docs = model::decodeManifests(*text);
  if (!docs) return Error{"kubeconfig " + path + ": " + docs.error().message};
  if (docs->size() != 1 || !(*docs)[0].is_object()) return Error{"kubeconfig " + path + ": expected one YAML document"};
  const Json& config = (*docs)[0];
  const std::string context_name = str(config, "current-context");
  if (context_name.empty()) return Error{"kubeconfig " + path + ": no current-context"};
  const Json* context = namedEntry(config, "contexts", "context", context_name);
  if (!context) return Error{"kubeconfig " + path + ": context " + context_name + " not found"};
  const std::string cluster_name = str(*context, "cluster"), user_name = str(*context, "user");
  const Json* cluster = namedEntry(config, "clusters", "cluster", cluster_name);
  if (!cluster) return Error{"kubeconfig " + path + ": cluster " + cluster_name + " not found"};

  ApiCredentials out;
  out.origin = "kubeconfig " + path + ", context " + context_name;
  auto where = [&](const std::string& what) { return "kubeconfig " + path + ", context " + context_name + ": " + what; };
  if (auto parsed = parseServer(str(*cluster, "server"), out); !parsed) return Error{where(parsed.error().message)};
  if (cluster->value("insecure-skip-tls-verify", false))
    return Error{where("insecure-skip-tls-verify is not supported: give the cluster's certificate-authority")};
  const auto base = std::filesystem::path(path).parent_path();
  auto ca = dataOrFile(*cluster, "certificate-authority-data", "certificate-authority", base);
  if (!ca) return Error{where("cluster " + cluster_name + ": " + ca.error().message)};
  out.ca_pem = *ca;

  static const Json kNoUser = Json::object();
  const Json* user = user_name.empty() ? &kNoUser : namedEntry(config, "users", "user", user_name);
  if (!user) return Error{where("user " + user_name + " not found")};
  if (user->contains("exec") || user->contains("auth-provider"))
    return Error{where("user " + user_name + ": exec and auth-provider plugins are not supported; use a token or a client certificate")};
  out.token = str(*user, "token");
  if (auto file = str(*user, "tokenFile"); !file.empty())
    out.token_file = std::filesystem::path(file).is_absolute() ? file : (base / file).string();
  auto cert = dataOrFile(*user, "client-certificate-data", "client-certificate", base);
  if (!cert) return Error{where("user " + user_name + ": " + cert.error().message)};
  auto key = dataOrFile(*user, "client-key-data", "client-key", base);
  if (!key) return Error{where("user " + user_name + ": " + key.error().message)};
  out.client_cert_pem = *cert;
  out.client_key_pem = *key;
  if (out.client_cert_pem.empty() != out.client_key_pem.empty())
    return Error{where("user " + user_name + ": a client certificate needs its key and the key its certificate")};
  return out;
}

Result<ApiCredentials> loadInCluster(const std::string& dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port)
    return Error{"no --kubeconfig, no $KUBECONFIG and not in a pod (KUBERNETES_SERVICE_HOST/PORT unset)"};
  ApiCredentials out;
  out.origin = "in-cluster service account";
  out.host = host;
  out.port = port;
  out.server = "https://" + std::string(out.host.find(':') != std::string::npos ? "[" + out.host + "]" : out.host) + ":" + out.port;
  auto ca = readFile(dir + "/ca.crt");
  if (!ca) return Error{"in-cluster: " + ca.error().message};
  out.ca_pem = *ca;
  out.token_file = dir + "/token";
  if (auto token = readFile(out.token_file); !token) return Error{"in-cluster: " + token.error().message};
  return out;
}

Result<ApiCredentials> findCredentials(const std::string& kubeconfig_flag) {
  if (!kubeconfig_flag.empty()) return loadKubeconfig(kubeconfig_flag);
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    std::string first(env);
    first = first.substr(0, first.find(':'));
    return loadKubeconfig(first);
  }
  return loadInCluster();
}

BearerToken::BearerToken(const ApiCredentials& credentials) : token_(credentials.token), file_(credentials.token_file) {}

std::string BearerToken::current() {
  std::lock_guard lock(mu_);
  if (file_.empty()) return token_;
  auto now = std::chrono::steady_clock::now();
  if (token_.empty() || now - read_at_ > std::chrono::minutes(1)) {
    if (auto text = readFile(file_)) {
      token_ = *text;
      while (!token_.empty() && (token_.back() == '\n' || token_.back() == '\r' || token_.back() == ' ')) token_.pop_back();
      read_at_ = now;
    }
  }
  return token_;
}

}  // namespace gatehouse::providers::kube
