#include "snapshot/precedence.h"

#include <strings.h>

#include <tuple>

namespace gatehouse::snapshot {

namespace {

int pathRank(PathMatch::Type type) {
  switch (type) {
    case PathMatch::Type::Exact:
      return 2;
    case PathMatch::Type::PathPrefix:
      return 1;
    case PathMatch::Type::RegularExpression:
      return 0;
  }
  return 0;
}

// The lexicographic key; a larger key takes precedence.
auto key(const RouteMatch& m) {
  const int rank = pathRank(m.path.type);
  const size_t length = rank == 0 ? 0 : m.path.value.size();
  return std::make_tuple(rank, length, m.method.has_value(), effectiveHeaderCount(m), effectiveQueryParamCount(m));
}

}  // namespace

size_t effectiveHeaderCount(const RouteMatch& m) {
  size_t count = 0;
  for (size_t i = 0; i < m.headers.size(); ++i) {
    bool duplicate = false;
    for (size_t j = 0; j < i && !duplicate; ++j) duplicate = strcasecmp(m.headers[i].name.c_str(), m.headers[j].name.c_str()) == 0;
    count += duplicate ? 0 : 1;
  }
  return count;
}

size_t effectiveQueryParamCount(const RouteMatch& m) {
  size_t count = 0;
  for (size_t i = 0; i < m.query_params.size(); ++i) {
    bool duplicate = false;
    for (size_t j = 0; j < i && !duplicate; ++j) duplicate = m.query_params[i].name == m.query_params[j].name;
    count += duplicate ? 0 : 1;
  }
  return count;
}

bool precedes(const RouteMatch& a, const RouteMatch& b) { return key(a) > key(b); }

std::string precedenceReason(const RouteMatch& a, const RouteMatch& b) {
  if (!precedes(a, b)) return "";
  static const char* kPathTypes[] = {"RegularExpression", "PathPrefix", "Exact"};
  const int rank_a = pathRank(a.path.type), rank_b = pathRank(b.path.type);
  if (rank_a != rank_b)
    return std::string(kPathTypes[rank_a]) + " path over " + kPathTypes[rank_b] + " path";
  const auto [ra, la, ma, ha, qa] = key(a);
  const auto [rb, lb, mb, hb, qb] = key(b);
  if (la != lb)
    return std::string("longer ") + kPathTypes[rank_a] + " path (" + std::to_string(la) + " over " +
           std::to_string(lb) + " characters)";
  if (ma != mb) return "method match";
  if (ha != hb) return "more header matches (" + std::to_string(ha) + " over " + std::to_string(hb) + ")";
  return "more query param matches (" + std::to_string(qa) + " over " + std::to_string(qb) + ")";
}

}  // namespace gatehouse::snapshot
