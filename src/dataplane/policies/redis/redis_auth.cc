#include "dataplane/policies/redis/redis_auth.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "dataplane/policies/redis/resp.h"

namespace gatehouse::dataplane::redis {

namespace {
constexpr size_t kMaxFile = 1024 * 1024;  // a password, or a PEM bundle
}  // namespace

Result<std::string> readSmallFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return Error{path + ": " + std::strerror(errno)};
  std::string out;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0 && out.size() <= kMaxFile) out.append(buffer, n);
  const int error = std::ferror(file) != 0 ? errno : 0;
  std::fclose(file);
  if (error != 0) return Error{path + ": " + std::strerror(error)};
  if (out.size() > kMaxFile) return Error{path + ": larger than 1 MiB"};
  return out;
}

Result<std::string> readPasswordFile(const std::string& path) {
  auto text = readSmallFile(path);
  if (!text) return text;
  std::string password = std::move(text.value());
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
  if (password.empty()) return Error{path + ": empty"};
  return password;
}

std::string authCommand(std::string_view username, std::string_view password) {
  if (username.empty()) return encodeCommand({"AUTH", password});
  return encodeCommand({"AUTH", username, password});
}

}  // namespace gatehouse::dataplane::redis
