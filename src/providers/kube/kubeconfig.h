#pragma once
// Where the API server is and who we are to it: a kubeconfig file (--kubeconfig, else the first
// file of $KUBECONFIG) or, inside a pod, the service account's mounted token and CA. The
// server's certificate is always verified: there is no insecure mode to fall back to.
#include <chrono>
#include <mutex>
#include <string>

#include "common/result.h"

namespace gatehouse::providers::kube {

struct ApiCredentials {
  std::string server;  // as configured, for messages
  std::string host;    // name or IP literal (without brackets)
  std::string port = "443";
  std::string path_prefix;  // a server URL may carry one (a proxy in front of the API)
  std::string ca_pem;       // empty: the system's trust store
  std::string token;        // a static bearer token
  std::string token_file;   // re-read periodically: projected service-account tokens rotate
  std::string client_cert_pem, client_key_pem;
  std::string origin;  // "kubeconfig FILE, context NAME" or "in-cluster service account"
};

// The kubeconfig's current context.
Result<ApiCredentials> loadKubeconfig(const std::string& path);
// KUBERNETES_SERVICE_HOST/PORT and the token and CA under `dir`.
Result<ApiCredentials> loadInCluster(const std::string& dir = "/var/run/secrets/kubernetes.io/serviceaccount");
// --kubeconfig, else $KUBECONFIG, else in-cluster.
Result<ApiCredentials> findCredentials(const std::string& kubeconfig_flag);

// The bearer token to send: the static one, or the token file's content, re-read once a minute
// (kubelet rotates projected tokens well before they expire).
class BearerToken {
 public:
  explicit BearerToken(const ApiCredentials& credentials);
  std::string current();

 private:
  std::mutex mu_;
  std::string token_, file_;
  std::chrono::steady_clock::time_point read_at_{};
};

}  // namespace gatehouse::providers::kube
