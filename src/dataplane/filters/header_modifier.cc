// RequestHeaderModifier / ResponseHeaderModifier.
//
// Order within one modifier: remove, then set, then add. So "remove X" with "set X" leaves the
// set value, and "set X" with "add X" gives "set-value,add-value".
// Within each list only the first entry of a name counts (names compare case-insensitively), as
// the spec's HTTPHeader.name text requires.
// add: "appends to any existing values associated with the header name" and the spec's example
// output is one field "my-header: foo,bar,baz", so the value is appended with "," to the last
// field of that name (a new field when there is none). Set-Cookie cannot be folded into one
// field (RFC 9110 5.3), so it always gets a new field.
#include "dataplane/filters/filters.h"

namespace gatehouse::filters {

namespace {

template <typename Entry, typename NameOf>
bool earlierSameName(const std::vector<Entry>& list, size_t i, NameOf nameOf) {
  for (size_t j = 0; j < i; ++j) {
    if (http::equalsIgnoreCase(nameOf(list[j]), nameOf(list[i]))) return true;
  }
  return false;
}

void appendValue(http::Headers& headers, const std::string& name, const std::string& value) {
  if (!http::equalsIgnoreCase(name, "set-cookie")) {
    auto& fields = headers.fields();
    for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
      if (http::equalsIgnoreCase(it->first, name)) {
        it->second.push_back(',');
        it->second.append(value);
        return;
      }
    }
  }
  headers.add(name, value);
}

}  // namespace

void applyHeaderModifier(const snapshot::HeaderModifier& modifier, http::Headers& headers) {
  if (modifier.empty()) return;
  auto pairName = [](const std::pair<std::string, std::string>& p) -> const std::string& { return p.first; };
  for (const std::string& name : modifier.remove) headers.remove(name);
  for (size_t i = 0; i < modifier.set.size(); ++i) {
    if (i > 0 && earlierSameName(modifier.set, i, pairName)) continue;
    headers.set(modifier.set[i].first, modifier.set[i].second);
  }
  for (size_t i = 0; i < modifier.add.size(); ++i) {
    if (i > 0 && earlierSameName(modifier.add, i, pairName)) continue;
    appendValue(headers, modifier.add[i].first, modifier.add[i].second);
  }
}

void applyRequest(const snapshot::RequestHeaderModifier& modifier, RequestFilterContext& context) {
  applyHeaderModifier(modifier, context.request.headers);
}

void applyResponse(const snapshot::ResponseHeaderModifier& modifier, http::Response& response) {
  applyHeaderModifier(modifier, response.headers);
}

}  // namespace gatehouse::filters
