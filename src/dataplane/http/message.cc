#include "dataplane/http/message.h"

#include <algorithm>

namespace gatehouse::http {

// equalsIgnoreCase (declared in message.h and h1_parser.h) is defined once, in h1_parser.cc.

void Headers::set(std::string_view name, std::string value) {
  auto first = std::find_if(fields_.begin(), fields_.end(),
                            [&](const Field& f) { return equalsIgnoreCase(f.first, name); });
  if (first == fields_.end()) {
    fields_.emplace_back(std::string(name), std::move(value));
    return;
  }
  first->first.assign(name.data(), name.size());
  first->second = std::move(value);
  // Drop the later fields of that name, keeping the order of everything else.
  auto rest = std::remove_if(first + 1, fields_.end(), [&](const Field& f) { return equalsIgnoreCase(f.first, name); });
  fields_.erase(rest, fields_.end());
}

size_t Headers::remove(std::string_view name) {
  auto rest = std::remove_if(fields_.begin(), fields_.end(), [&](const Field& f) { return equalsIgnoreCase(f.first, name); });
  size_t removed = static_cast<size_t>(fields_.end() - rest);
  fields_.erase(rest, fields_.end());
  return removed;
}

const std::string* Headers::find(std::string_view name) const {
  for (const Field& f : fields_) {
    if (equalsIgnoreCase(f.first, name)) return &f.second;
  }
  return nullptr;
}

std::string Headers::joined(std::string_view name) const {
  std::string out;
  bool first = true;
  for (const Field& f : fields_) {
    if (!equalsIgnoreCase(f.first, name)) continue;
    if (!first) out.push_back(',');
    out += f.second;
    first = false;
  }
  return out;
}

bool isIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" || method == "PUT" ||
         method == "DELETE";
}

std::string_view reasonPhrase(uint16_t status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 421: return "Misdirected Request";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return status < 400 ? "OK" : "Error";
  }
}

}  // namespace gatehouse::http
