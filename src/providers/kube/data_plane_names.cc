#include "providers/kube/data_plane_names.h"

#include <openssl/sha.h>

#include <fmt/format.h>

namespace gatehouse::providers::kube {

namespace {

constexpr std::string_view kPrefix = "gatehouse-";
constexpr size_t kMaxLabel = 63;
constexpr size_t kHashDigits = 8;

bool isDns1035Label(std::string_view s) {
  if (s.empty() || s.size() > kMaxLabel || !(s.front() >= 'a' && s.front() <= 'z')) return false;
  if (s.back() == '-') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

}  // namespace

std::string dataPlaneName(std::string_view gateway_name) {
  std::string plain = std::string(kPrefix) + std::string(gateway_name);
  if (isDns1035Label(plain)) return plain;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(gateway_name.data()), gateway_name.size(), digest);
  std::string hash;
  for (size_t i = 0; i < kHashDigits / 2; ++i) hash += fmt::format("{:02x}", digest[i]);
  std::string stem;
  for (char c : gateway_name.substr(0, kMaxLabel - kPrefix.size() - 1 - kHashDigits))
    stem += (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '-';
  while (!stem.empty() && stem.back() == '-') stem.pop_back();
  return std::string(kPrefix) + stem + (stem.empty() ? "" : "-") + hash;
}

std::string dataPlaneUser(std::string_view gateway_namespace, std::string_view gateway_name) {
  return fmt::format("system:serviceaccount:{}:{}", gateway_namespace, dataPlaneName(gateway_name));
}

}  // namespace gatehouse::providers::kube
