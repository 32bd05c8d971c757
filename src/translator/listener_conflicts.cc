#include "translator/listener_conflicts.h"

#include "translator/conditions.h"

namespace gatehouse::translator {

namespace {

bool distinctByHostname(const std::string& protocol) {
  return protocol == "HTTP" || protocol == "HTTPS" || protocol == "TLS";
}

bool startsWithTls(const std::string& protocol) { return protocol == "HTTPS" || protocol == "TLS"; }

}  // namespace

const char* listenerConflict(const model::Listener& a, const model::Listener& b) {
  if (a.port != b.port) return nullptr;
  if ((a.protocol == "UDP") != (b.protocol == "UDP")) return nullptr;
  const bool same_wire = a.protocol == b.protocol || (startsWithTls(a.protocol) && startsWithTls(b.protocol));
  if (!same_wire || !distinctByHostname(a.protocol)) return reason::kProtocolConflict;
  return a.hostname == b.hostname ? reason::kHostnameConflict : nullptr;
}

}  // namespace gatehouse::translator
