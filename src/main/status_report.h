#pragma once
// Object statuses for people: shared by `validate` (a directory, offline) and `status` (a running
// instance's admin API).
#include <string>

#include "model/resource.h"

namespace gatehouse::main {

// "error: FILE: OBJECT: FIELD: REASON" (object and field when known) of a config error
// ({file, object, field, reason}).
std::string errorLine(const model::Json& error);

// One line per object of `statuses` ("Kind/namespace/name" -> status): Accepted, Programmed,
// ResolvedRefs (the reason and message when not True) and Shadowed; a route's parents (a
// policy's ancestors) on its line, a Gateway's listeners on a line each.
void printStatusLines(const model::Json& statuses);

}  // namespace gatehouse::main
