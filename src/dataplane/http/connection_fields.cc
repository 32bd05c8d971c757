#include "dataplane/http/connection_fields.h"

namespace gatehouse::http {

bool isConnectionSpecific(std::string_view name) {
  switch (name.size()) {
    case 2: return equalsIgnoreCase(name, "te");
    case 4: return equalsIgnoreCase(name, "host");
    case 7: return equalsIgnoreCase(name, "trailer") || equalsIgnoreCase(name, "upgrade");
    case 10: return equalsIgnoreCase(name, "connection") || equalsIgnoreCase(name, "keep-alive");
    case 14: return equalsIgnoreCase(name, "content-length");
    case 16: return equalsIgnoreCase(name, "proxy-connection");
    case 17: return equalsIgnoreCase(name, "transfer-encoding");
    default: return false;
  }
}

}  // namespace gatehouse::http
