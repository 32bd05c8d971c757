#include "translator/precedence.h"

namespace gatehouse::translator {
namespace {

int pathRank(const snapshot::PathMatch& p) {
  switch (p.type) {
    case snapshot::PathMatch::Type::Exact: return 0;
    case snapshot::PathMatch::Type::PathPrefix: return 1;
    case snapshot::PathMatch::Type::RegularExpression: return 2;
  }
  return 3;
}

}  // namespace

bool precedes(const snapshot::RouteMatch& a, const snapshot::RouteMatch& b) {
  if (pathRank(a.path) != pathRank(b.path)) return pathRank(a.path) < pathRank(b.path);
  if (a.path.type != snapshot::PathMatch::Type::RegularExpression && a.path.value.size() != b.path.value.size())
    return a.path.value.size() > b.path.value.size();
  if (a.method.has_value() != b.method.has_value()) return a.method.has_value();
  if (a.headers.size() != b.headers.size()) return a.headers.size() > b.headers.size();
  return a.query_params.size() > b.query_params.size();
}

}  // namespace gatehouse::translator
