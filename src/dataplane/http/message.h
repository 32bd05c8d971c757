#pragma once
// The one internal request/response model. Codecs (HTTP/1.1, HTTP/2) translate the wire format
// into these, so routing and filters never see the codec.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dataplane/http/case_fold.h"

namespace gatehouse::http {

// Header names keep the case they arrived with; lookups are case-insensitive.
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  // Replaces every field of that name with one field (appended where the first one stood).
  void set(std::string_view name, std::string value);
  // Removes every field of that name; returns how many were removed.
  size_t remove(std::string_view name);
  // The first value of that name, or nullptr.
  const std::string* find(std::string_view name) const;
  // All values of that name joined with "," (how the spec compares repeated headers).
  std::string joined(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name) != nullptr; }

  const std::vector<Field>& fields() const { return fields_; }
  std::vector<Field>& fields() { return fields_; }
  size_t size() const { return fields_.size(); }

 private:
  std::vector<Field> fields_;
};

// RFC 9110 9.2.2: a request a client may send again when the connection failed before any
// response (the upstream may have acted on a POST before resetting the connection).
bool isIdempotent(std::string_view method);

// The reason phrase of the statuses the gateway writes or relays most ("OK" or "Error" for others).
std::string_view reasonPhrase(uint16_t status);

struct Request {
  std::string method;
  std::string scheme;     // "http" | "https": what the client used to reach the gateway
  std::string authority;  // Host header / :authority, as received (may carry a port)
  std::string path;       // request-target in origin form, with the query string
  Headers headers;        // without Host (it lives in `authority`) and hop-by-hop fields
  uint16_t listener_port = 0;  // the gateway port the request arrived on
};

struct Response {
  uint16_t status = 200;
  Headers headers;
  std::string body;  // only for responses the gateway generates itself
};

}  // namespace gatehouse::http
