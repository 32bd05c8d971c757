#include "providers/kube/kubeconfig.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "../file/temp_dir.h"

namespace gatehouse::providers::kube {
namespace {

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// "-----BEGIN CERTIFICATE-----\nCA\n" in base64.
const char* kCaData = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCg==";

std::string kubeconfig(const std::string& cluster, const std::string& user) {
  return "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
         "contexts:\n- name: other\n  context: {cluster: nowhere, user: nobody}\n"
         "- name: dev\n  context: {cluster: c, user: u}\n"
         "clusters:\n- name: c\n  cluster:\n" + cluster +
         "users:\n- name: u\n  user:\n" + user;
}

TEST(Kubeconfig, CurrentContextWithTokenAndCaData) {
  TempDir dir;
  const std::string path = dir.path() + "/config";
  write(path, kubeconfig(std::string("    server: https://api.example.com:6443/prefix/\n    certificate-authority-data: ") + kCaData + "\n",
                         "    token: abc\n"));
  auto creds = loadKubeconfig(path);
  ASSERT_TRUE(creds) << creds.error().message;
  EXPECT_EQ(creds->host, "api.example.com");
  EXPECT_EQ(creds->port, "6443");
  EXPECT_EQ(creds->path_prefix, "/prefix");
  EXPECT_EQ(creds->ca_pem, "-----BEGIN CERTIFICATE-----\nCA\n");
  EXPECT_EQ(creds->token, "abc");
  EXPECT_EQ(creds->origin, "kubeconfig " + path + ", context dev");
}

TEST(Kubeconfig, FilesRelativeToTheKubeconfigAndIpv6Server) {
  TempDir dir;
  write(dir.path() + "/ca.crt", "CA");
  write(dir.path() + "/client.crt", "CERT");
  write(dir.path() + "/client.key", "KEY");
  const std::string path = dir.path() + "/config";
  write(path, kubeconfig("    server: https://[::1]:8443\n    certificate-authority: ca.crt\n",
                         "    client-certificate: client.crt\n    client-key: client.key\n    tokenFile: token\n"));
  auto creds = loadKubeconfig(path);
  ASSERT_TRUE(creds) << creds.error().message;
  EXPECT_EQ(creds->host, "::1");
  EXPECT_EQ(creds->port, "8443");
  EXPECT_EQ(creds->ca_pem, "CA");
  EXPECT_EQ(creds->client_cert_pem, "CERT");
  EXPECT_EQ(creds->client_key_pem, "KEY");
  EXPECT_EQ(creds->token_file, dir.path() + "/token");
}

TEST(Kubeconfig, RefusalsNameTheFileContextAndReason) {
  TempDir dir;
  const std::string path = dir.path() + "/config";
  const std::string where = "kubeconfig " + path + ", context dev: ";
  write(path, kubeconfig("    server: http://api:80\n", "    token: t\n"));
  EXPECT_EQ(loadKubeconfig(path).error().message, where + "server http://api:80: only https:// API servers are supported");
  write(path, kubeconfig("    server: https://api\n    insecure-skip-tls-verify: true\n", "    token: t\n"));
  EXPECT_EQ(loadKubeconfig(path).error().message,
            where + "insecure-skip-tls-verify is not supported: give the cluster's certificate-authority");
  write(path, kubeconfig("    server: https://api\n", "    exec: {command: aws}\n"));
  EXPECT_EQ(loadKubeconfig(path).error().message,
            where + "user u: exec and auth-provider plugins are not supported; use a token or a client certificate");
  write(path, kubeconfig("    server: https://api\n", "    client-certificate-data: Q0VSVA==\n"));
  EXPECT_EQ(loadKubeconfig(path).error().message, where + "user u: a client certificate needs its key and the key its certificate");
  EXPECT_EQ(loadKubeconfig(dir.path() + "/missing").error().message, "kubeconfig: cannot read " + dir.path() + "/missing");
}

TEST(Kubeconfig, InClusterReadsTheServiceAccountAndRereadsTheToken) {
  TempDir dir;
  write(dir.path() + "/ca.crt", "CA");
  write(dir.path() + "/token", "first\n");
  setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto creds = loadInCluster(dir.path());
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(creds) << creds.error().message;
  EXPECT_EQ(creds->server, "https://10.96.0.1:443");
  EXPECT_EQ(creds->ca_pem, "CA");
  BearerToken token(*creds);
  EXPECT_EQ(token.current(), "first");
  EXPECT_EQ(loadInCluster(dir.path()).error().message,
            "no --kubeconfig, no $KUBECONFIG and not in a pod (KUBERNETES_SERVICE_HOST/PORT unset)");
}

}  // namespace
}  // namespace gatehouse::providers::kube
