// Redis replies (RESP2) as the global rate limiter's connection reads them. The first byte picks
// where the rest is cut in two reads: the parser must yield the same values and the same end
// (NeedMore or Invalid with the same reason) as from one read, and every value stays within the
// limits (nesting depth, array size, bulk length).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/policies/redis/resp.h"

namespace {

using namespace gatehouse::dataplane::redis;

void require(bool ok) {
  if (!ok) std::abort();
}

void checkBounds(const RespValue& v, const RespLimits& limits, size_t depth) {
  require(depth <= limits.max_depth);
  require(v.text.size() <= std::max(limits.max_bulk, limits.max_line));
  require(v.elements.size() <= limits.max_elements);
  for (const RespValue& e : v.elements) checkBounds(e, limits, depth + 1);
}

struct Parsed {
  std::vector<RespValue> values;
  RespParser::Status end;
  std::string error;
};

Parsed parse(const std::vector<std::string_view>& reads) {
  RespParser parser;
  Parsed out;
  RespValue v;
  for (std::string_view read : reads) {
    parser.feed(read);
    while ((out.end = parser.next(v)) == RespParser::Status::Value) out.values.push_back(v);
    if (out.end == RespParser::Status::Invalid) break;
  }
  out.error = parser.error();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);  // a copy: ASan sees overreads
  const size_t cut = data[0] % (input.size() + 1);
  const Parsed whole = parse({input});
  const Parsed split = parse({std::string_view(input).substr(0, cut), std::string_view(input).substr(cut)});
  require(whole.values == split.values);
  require(whole.end == split.end);
  require(whole.error == split.error);
  for (const RespValue& v : whole.values) checkBounds(v, RespLimits{}, 0);
  return 0;
}
