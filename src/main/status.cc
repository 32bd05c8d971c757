// `gatehouse status`: what a running instance serves, read from its admin API (GET /status and
// GET /errors), in the form of `validate`: a line per object by default, the full statuses with
// -o json|yaml.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <cstdio>
#include <optional>
#include <string>

#include "main/commands.h"
#include "main/status_report.h"
#include "model/yaml_writer.h"

namespace gatehouse::main {

namespace {

namespace asio = boost::asio;
using model::Json;

// GET `path` from HOST:PORT (the admin API answers one request per connection and closes it);
// the JSON body of a 200, else nullopt with the reason on stderr.
std::optional<Json> adminGet(const std::string& address, const std::string& path) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "status: --admin-address %s: expected HOST:PORT\n", address.c_str());
    return std::nullopt;
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  asio::io_context io;
  boost::system::error_code ec;
  asio::ip::tcp::socket socket(io);
  const auto endpoints = asio::ip::tcp::resolver(io).resolve(host, address.substr(colon + 1), ec);
  if (!ec) asio::connect(socket, endpoints, ec);
  std::string reply;
  if (!ec) asio::write(socket, asio::buffer("GET " + path + " HTTP/1.1\r\nHost: " + address + "\r\nConnection: close\r\n\r\n"), ec);
  if (!ec) asio::read(socket, asio::dynamic_buffer(reply), ec);
  if (ec && ec != asio::error::eof) {
    std::fprintf(stderr, "status: %s%s: %s\n", address.c_str(), path.c_str(), ec.message().c_str());
    return std::nullopt;
  }
  const size_t body = reply.find("\r\n\r\n");
  if (reply.compare(0, 7, "HTTP/1.") != 0 || reply.compare(9, 3, "200") != 0 || body == std::string::npos) {
    std::fprintf(stderr, "status: %s%s: %s\n", address.c_str(), path.c_str(), reply.substr(0, reply.find('\r')).c_str());
    return std::nullopt;
  }
  Json parsed = Json::parse(reply.begin() + static_cast<std::ptrdiff_t>(body + 4), reply.end(), nullptr, false);
  if (parsed.is_discarded()) {
    std::fprintf(stderr, "status: %s%s: the answer is not JSON\n", address.c_str(), path.c_str());
    return std::nullopt;
  }
  return parsed;
}

}  // namespace

int status(const StatusFlags& flags) {
  const std::optional<Json> objects = adminGet(flags.admin_address, "/status");
  const std::optional<Json> errors = objects ? adminGet(flags.admin_address, "/errors") : std::nullopt;
  if (!objects || !errors) return 2;
  // Keyed like validate's report: "Kind/namespace/name" ("Kind/name" for cluster-scoped kinds);
  // objects without a status (ReferenceGrants, other controllers' objects) are left out, as there.
  Json statuses = Json::object();
  for (const Json& item : objects->value("items", Json::array())) {
    if (item.value("status", Json::object()).empty()) continue;
    const Json meta = item.value("metadata", Json::object());
    std::string key = item.value("kind", "") + "/";
    if (meta.contains("namespace")) key += meta["namespace"].get<std::string>() + "/";
    key += meta.value("name", "");
    statuses[key] = item.value("status", Json::object());
  }
  if (flags.output == "text") {
    printStatusLines(statuses);
    for (const Json& e : *errors) std::printf("%s\n", errorLine(e).c_str());
    return 0;
  }
  const Json report = {{"statuses", statuses}, {"errors", *errors}};
  if (flags.output == "yaml") {
    std::printf("%s", model::toYaml(report).c_str());
  } else {
    std::printf("%s\n", report.dump(2).c_str());
  }
  return 0;
}

}  // namespace gatehouse::main
