#include "translator/shadowing.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <unordered_map>

#include "snapshot/path_prefix.h"

namespace gatehouse::translator {

namespace snap = gatehouse::snapshot;
using snap::PathMatch;
using snap::RouteMatch;
using snap::StringMatch;

namespace {

// A PathPrefix value as the matcher reads it: a trailing '/' does not count ("/" -> "").
std::string_view prefixValue(std::string_view value) {
  if (!value.empty() && value.back() == '/') value.remove_suffix(1);
  return value;
}

bool sameName(const StringMatch& a, const StringMatch& b, bool case_insensitive) {
  return case_insensitive ? strcasecmp(a.name.c_str(), b.name.c_str()) == 0 : a.name == b.name;
}

// The entry of `list` that the matcher evaluates for `name`: the first one of that name.
const StringMatch* firstNamed(const std::vector<StringMatch>& list, const StringMatch& like, bool case_insensitive) {
  for (const auto& s : list)
    if (sameName(s, like, case_insensitive)) return &s;
  return nullptr;
}

bool conditionsCover(const std::vector<StringMatch>& winner, const std::vector<StringMatch>& loser,
                     bool case_insensitive) {
  for (size_t i = 0; i < winner.size(); ++i) {
    const StringMatch& w = winner[i];
    if (firstNamed(winner, w, case_insensitive) != &w) continue;  // a duplicate name: never evaluated
    const StringMatch* l = firstNamed(loser, w, case_insensitive);
    if (!l || l->type != w.type || l->value != w.value) return false;
  }
  return true;
}

bool pathCovers(const PathMatch& w, const PathMatch& l) {
  switch (w.type) {
    case PathMatch::Type::Exact:
      return l.type == PathMatch::Type::Exact && l.value == w.value;
    case PathMatch::Type::PathPrefix:
      if (l.type == PathMatch::Type::Exact) return snap::pathPrefixMatches(w.value, l.value);
      // Every path the loser's prefix matches starts with that prefix as whole elements.
      if (l.type == PathMatch::Type::PathPrefix) return snap::pathPrefixMatches(w.value, prefixValue(l.value));
      // Every routed path starts with '/' (normalizePath answers 400 otherwise, "*" included), so
      // "/" matches whatever a pattern does; a longer prefix is not compared with a pattern.
      return prefixValue(w.value).empty();
    case PathMatch::Type::RegularExpression:
      return l.type == PathMatch::Type::RegularExpression && l.value == w.value;
  }
  return false;
}

// Keys of the path index: the path a winner is filed under, and the paths a loser looks up.
std::string pathKey(PathMatch::Type type, std::string_view value) {
  const char tag = type == PathMatch::Type::Exact ? 'E' : type == PathMatch::Type::PathPrefix ? 'P' : 'R';
  return std::string(1, tag) + std::string(type == PathMatch::Type::PathPrefix ? prefixValue(value) : value);
}

// Every winner path that can cover `l`: the same path, and each PathPrefix that is an element
// prefix of it ("" for "/", then "/a", "/a/b" for "/a/b").
std::vector<std::string> candidatePathKeys(const PathMatch& l) {
  std::vector<std::string> keys{pathKey(l.type, l.value)};
  if (l.type == PathMatch::Type::RegularExpression) {
    keys.push_back(pathKey(PathMatch::Type::PathPrefix, "/"));
    return keys;
  }
  std::string_view value = l.type == PathMatch::Type::PathPrefix ? prefixValue(l.value) : std::string_view(l.value);
  for (size_t i = 0; i <= value.size(); ++i) {
    if (i < value.size() && value[i] != '/') continue;
    std::string key = pathKey(PathMatch::Type::PathPrefix, value.substr(0, i));
    if (key != keys.back()) keys.push_back(std::move(key));  // a PathPrefix's own key comes last again
  }
  return keys;
}

// The conditions besides the path that take part in covers(), as index keys.
std::vector<std::string> conditionKeys(const RouteMatch& m) {
  std::vector<std::string> keys;
  if (m.method) keys.push_back("M" + *m.method);
  auto add = [&](const std::vector<StringMatch>& list, char tag, bool case_insensitive) {
    for (const auto& s : list) {
      if (firstNamed(list, s, case_insensitive) != &s) continue;
      std::string name = s.name;
      if (case_insensitive) std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      keys.push_back(std::string(1, tag) + (s.type == StringMatch::Type::Exact ? 'E' : 'R') + name + '\0' + s.value);
    }
  };
  add(m.headers, 'H', true);
  add(m.query_params, 'Q', false);
  return keys;
}

// Winners filed under one path: those without other conditions cover every loser of that path,
// so the earliest two of distinct rules are all that is kept (a loser skips one of its own
// rule); the others under their rarest condition, which every loser they cover must have too.
struct PathBucket {
  std::vector<size_t> unconditional;
  std::unordered_map<std::string, std::vector<size_t>> by_condition;  // positions, ascending
};

}  // namespace

bool covers(const RouteMatch& winner, const RouteMatch& loser) {
  if (!pathCovers(winner.path, loser.path)) return false;
  if (winner.method && winner.method != loser.method) return false;
  return conditionsCover(winner.headers, loser.headers, true) &&
         conditionsCover(winner.query_params, loser.query_params, false);
}

std::vector<std::optional<size_t>> findCoveringMatches(const std::vector<const RouteMatch*>& matches,
                                                       const std::vector<size_t>& rule_ids) {
  const size_t n = matches.size();
  std::vector<std::vector<std::string>> conditions(n);
  std::unordered_map<std::string, size_t> frequency;
  for (size_t i = 0; i < n; ++i) {
    conditions[i] = conditionKeys(*matches[i]);
    for (const auto& k : conditions[i]) frequency[k]++;
  }
  std::unordered_map<std::string, PathBucket> index;
  std::vector<std::optional<size_t>> out(n);
  for (size_t i = 0; i < n; ++i) {
    size_t budget = kScanBudget;
    std::optional<size_t> best;
    auto consider = [&](size_t w) {
      if (rule_ids[w] == rule_ids[i] || (best && *best <= w)) return;
      if (covers(*matches[w], *matches[i])) best = w;
    };
    for (const auto& key : candidatePathKeys(matches[i]->path)) {
      auto bucket = index.find(key);
      if (bucket == index.end()) continue;
      for (size_t w : bucket->second.unconditional) consider(w);
      for (const auto& ck : conditions[i]) {
        auto list = bucket->second.by_condition.find(ck);
        if (list == bucket->second.by_condition.end()) continue;
        // Ascending: the first covering winner of another rule is this list's earliest.
        for (size_t w : list->second) {
          if (budget == 0 || (best && *best <= w)) break;
          --budget;
          const bool had = best.has_value();
          consider(w);
          if (best.has_value() != had) break;
        }
      }
    }
    out[i] = best;
    PathBucket& own = index[pathKey(matches[i]->path.type, matches[i]->path.value)];
    if (conditions[i].empty()) {
      auto& kept = own.unconditional;
      if (kept.empty() || (kept.size() == 1 && rule_ids[kept[0]] != rule_ids[i])) kept.push_back(i);
    } else {
      const std::string* rarest = &conditions[i].front();
      for (const auto& k : conditions[i])
        if (frequency[k] < frequency[*rarest]) rarest = &k;
      own.by_condition[*rarest].push_back(i);
    }
  }
  return out;
}

}  // namespace gatehouse::translator
