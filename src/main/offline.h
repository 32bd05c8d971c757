#pragma once
// Loading a directory or a file into a store and translating it without serving: shared by
// `validate` and `golden`.
#include <string>

#include "providers/file/directory_watcher.h"
#include "snapshot/snapshot.h"
#include "store/store.h"
#include "translator/translator.h"

namespace gatehouse::main {

// Every object's status as a report ("Kind/ns/name" -> status) plus the config errors.
struct OfflineResult {
  model::Json statuses = model::Json::object();
  model::Json errors = model::Json::array();
  // Objects that are stored but not (fully) accepted, each {file, object, field, reason}: a
  // condition Accepted or ResolvedRefs that is False, with the file the object came from.
  model::Json problems = model::Json::array();
  model::Json snapshot;
  snapshot::SnapshotPtr compiled;  // what `snapshot` dumps
  bool all_accepted = true;
};

OfflineResult translateFiles(const std::vector<providers::FileChange>& files, const translator::Options& options,
                             store::Store::Clock clock);

}  // namespace gatehouse::main
