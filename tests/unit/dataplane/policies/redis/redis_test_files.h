#pragma once
// Files the Redis client's flags name (a password, PEM files), in a directory under /tmp removed
// at the end of the test.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace gatehouse::dataplane::redis {

class RedisTestFiles {
 public:
  RedisTestFiles() {
    char tmpl[] = "/tmp/gatehouse-redis-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~RedisTestFiles() { std::filesystem::remove_all(dir_); }
  RedisTestFiles(const RedisTestFiles&) = delete;
  RedisTestFiles& operator=(const RedisTestFiles&) = delete;

  // Writes `content` to `name` in the directory; its path.
  std::string write(const std::string& name, const std::string& content) const {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    return path;
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

}  // namespace gatehouse::dataplane::redis
