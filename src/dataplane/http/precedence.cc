#include "dataplane/http/precedence.h"

#include <tuple>

#include "dataplane/http/message.h"

namespace gatehouse::http {

namespace {

int pathRank(snapshot::PathMatch::Type type) {
  switch (type) {
    case snapshot::PathMatch::Type::Exact:
      return 2;
    case snapshot::PathMatch::Type::PathPrefix:
      return 1;
    case snapshot::PathMatch::Type::RegularExpression:
      return 0;
  }
  return 0;
}

// The lexicographic key; a larger key takes precedence.
auto key(const snapshot::RouteMatch& m) {
  const int rank = pathRank(m.path.type);
  const size_t length = rank == 0 ? 0 : m.path.value.size();
  return std::make_tuple(rank, length, m.method.has_value(), effectiveHeaderCount(m), effectiveQueryParamCount(m));
}

}  // namespace

size_t effectiveHeaderCount(const snapshot::RouteMatch& m) {
  size_t count = 0;
  for (size_t i = 0; i < m.headers.size(); ++i) {
    bool duplicate = false;
    for (size_t j = 0; j < i && !duplicate; ++j) duplicate = equalsIgnoreCase(m.headers[i].name, m.headers[j].name);
    count += duplicate ? 0 : 1;
  }
  return count;
}

size_t effectiveQueryParamCount(const snapshot::RouteMatch& m) {
  size_t count = 0;
  for (size_t i = 0; i < m.query_params.size(); ++i) {
    bool duplicate = false;
    for (size_t j = 0; j < i && !duplicate; ++j) duplicate = m.query_params[i].name == m.query_params[j].name;
    count += duplicate ? 0 : 1;
  }
  return count;
}

bool precedes(const snapshot::RouteMatch& a, const snapshot::RouteMatch& b) { return key(a) > key(b); }

}  // namespace gatehouse::http
