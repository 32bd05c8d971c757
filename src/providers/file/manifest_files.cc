#include "providers/file/manifest_files.h"

#include "common/parallel.h"
#include "model/manifest.h"

namespace gatehouse::providers {

ManifestFiles::Decoded ManifestFiles::decode(const std::string& path, std::string_view text) {
  Decoded decoded;
  store::SourceUpdate& out = decoded.update;
  out.source = path;
  auto docs = model::decodeManifests(text);
  if (!docs) {
    out.errors.push_back({path, "", "", docs.error().message});
    decoded.readable = false;
    return decoded;
  }
  std::set<model::ObjectKey> seen;
  out.upserts.reserve(docs->size());
  for (auto& object : *docs) {
    auto key = model::objectKeyOf(object);
    if (!key) {
      out.errors.push_back({path, "", "", key.error().message});
      continue;
    }
    if (!seen.insert(*key).second) {
      out.errors.push_back({path, key->str(), "metadata.name", "defined twice in this file"});
      continue;
    }
    out.upserts.push_back({std::move(*key), std::move(object)});
  }
  return decoded;
}

store::SourceUpdate ManifestFiles::track(Decoded decoded) {
  store::SourceUpdate& update = decoded.update;
  if (!decoded.readable) {  // its objects keep serving; only the error
    held_.try_emplace(update.source);
    return std::move(update);
  }
  std::set<model::ObjectKey> now;
  for (const auto& upsert : update.upserts) now.insert(upsert.key);
  auto& held = held_[update.source];
  for (const auto& key : held)
    if (!now.count(key)) update.deletes.push_back(key);
  held = std::move(now);
  return std::move(update);
}

store::SourceUpdate ManifestFiles::read(const std::string& path, std::string_view text) {
  return track(decode(path, text));
}

std::vector<store::SourceUpdate> ManifestFiles::read(std::vector<FileChange> changes) {
  std::vector<Decoded> decoded(changes.size());
  constexpr size_t kFilesPerThread = 32;
  parallelFor(changes.size(), kFilesPerThread, [&](size_t i) {
    if (changes[i].removed) return;
    decoded[i] = decode(changes[i].path, changes[i].content);
    changes[i].content = std::string();  // no longer needed: a large batch's heap stays small
  });
  std::vector<store::SourceUpdate> out;
  out.reserve(changes.size());
  for (size_t i = 0; i < changes.size(); ++i) {
    if (changes[i].removed) {
      out.push_back(remove(changes[i].path));
      continue;
    }
    out.push_back(track(std::move(decoded[i])));
  }
  return out;
}

std::vector<std::string> ManifestFiles::pathsNotIn(const std::vector<FileChange>& listing) const {
  std::set<std::string_view> listed;
  for (const FileChange& file : listing) listed.insert(file.path);
  std::vector<std::string> out;
  for (const auto& [path, keys] : held_) {
    if (!listed.count(path)) out.push_back(path);
  }
  return out;
}

store::SourceUpdate ManifestFiles::remove(const std::string& path) {
  store::SourceUpdate out;
  out.source = path;
  if (auto it = held_.find(path); it != held_.end()) {
    out.deletes.assign(it->second.begin(), it->second.end());
    held_.erase(it);
  }
  return out;
}

}  // namespace gatehouse::providers
