#include "model/duration.h"

namespace gatehouse::model {

std::optional<uint64_t> parseDurationMs(std::string_view s) {
  uint64_t total = 0;
  size_t i = 0, parts = 0;
  while (i < s.size()) {
    const size_t start = i;
    uint64_t n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') n = n * 10 + static_cast<uint64_t>(s[i++] - '0');
    if (i == start || i - start > 5 || i == s.size() || ++parts > 4) return std::nullopt;
    if (s.compare(i, 2, "ms") == 0) {
      total += n;
      i += 2;
    } else if (s[i] == 'h' || s[i] == 'm' || s[i] == 's') {
      total += n * (s[i] == 'h' ? 3600000 : s[i] == 'm' ? 60000 : 1000);
      ++i;
    } else {
      return std::nullopt;
    }
  }
  if (parts == 0) return std::nullopt;
  return total;
}

}  // namespace gatehouse::model
