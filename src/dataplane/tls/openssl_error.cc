#include "dataplane/tls/openssl_error.h"

#include <openssl/err.h>

namespace gatehouse::dataplane::tls {

std::string opensslError(std::string_view what) {
  std::string message(what);
  if (unsigned long code = ERR_get_error(); code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    message += ": ";
    message += buf;
  }
  ERR_clear_error();
  return message;
}

}  // namespace gatehouse::dataplane::tls
