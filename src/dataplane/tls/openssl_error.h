#pragma once
#include <string>
#include <string_view>

namespace gatehouse::dataplane::tls {

// "what: <the first queued OpenSSL error>" (just `what` when none is queued); clears the queue.
std::string opensslError(std::string_view what);

}  // namespace gatehouse::dataplane::tls
