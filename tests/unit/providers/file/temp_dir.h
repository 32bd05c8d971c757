#pragma once
// A directory under /tmp for one test, removed with everything in it at the end.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace gatehouse::providers {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/gatehouse-watch-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  // As editors and `kubectl`-like writers do: a temporary name, then a rename.
  void writeAtomically(const std::string& name, const std::string& content) const {
    const std::string tmp = path_ + "/.tmp-" + std::filesystem::path(name).filename().string();
    std::ofstream(tmp) << content;
    std::filesystem::rename(tmp, path_ + "/" + name);
  }

 private:
  std::string path_;
};

}  // namespace gatehouse::providers
