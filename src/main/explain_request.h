#pragma once
// `gatehouse explain DIR --request 'GET http://host:port/path'`: the Gateway, listener, route,
// rule and backend the data plane's router picks for a request in a compiled snapshot, and why
// every other candidate of that route table lost.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/http/message.h"
#include "model/resource.h"
#include "snapshot/snapshot.h"
#include "store/store.h"

namespace gatehouse::main {

struct ParsedRequest {
  http::Request request;  // path normalised as the data plane does before routing
  std::string host;       // lower-case, without port
  std::string error;      // set when the line, URL or a header is malformed
};

// `line` is "METHOD URL" with an http or https URL; `headers` are "Name: value". The URL's host
// is the Host header (a Host given with -H replaces it); its port (default 80 / 443) picks the
// listeners.
ParsedRequest parseRequest(const std::string& line, const std::vector<std::string>& headers);

struct CandidateExplanation {
  std::string route;     // "Kind/namespace/name"
  std::string rule;      // name, else index
  std::string match;     // the match, in words
  std::string hostname;  // the hostname it was placed under ("" = any)
  std::string reason;    // why it did not win
};

struct RequestExplanation {
  std::string gateway, listener;  // empty: no listener on the port takes the host
  std::optional<std::string> route;
  std::string rule;
  struct Backend {
    std::string name;  // "namespace/name:port", empty when the backendRef is invalid
    uint32_t weight = 0;
  };
  std::vector<Backend> backends;
  std::vector<CandidateExplanation> not_matched;  // earlier in precedence, but the request does not match them
  size_t not_matched_omitted = 0;                 // more of those, not listed
  std::vector<CandidateExplanation> lost;         // match the request, later in precedence
  std::string why_none;                           // no listener or no route: why
};

// One answer per Gateway socket on the request's port whose listeners take its host (only those
// of `gateway` "namespace/name" when given); a single answer with why_none when none does.
std::vector<RequestExplanation> explainRequest(const snapshot::Snapshot& snapshot, const store::View& view,
                                               const ParsedRequest& request, const std::string& gateway);

model::Json toJson(const RequestExplanation& e);
void printText(const RequestExplanation& e);

}  // namespace gatehouse::main
