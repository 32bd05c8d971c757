#include "dataplane/net/listen_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gatehouse::dataplane::net {

namespace {

// backlog < 0: a UDP socket (bound, not listening).
Result<ListenFd> bindSocket(const std::string& address, uint16_t port, int backlog) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  bool ipv6 = false;
  const std::string host = address.empty() ? "0.0.0.0" : address;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof(sockaddr_in6);
    ipv6 = true;
  } else {
    return Error{"not a numeric IP address: \"" + host + "\""};
  }

  const bool udp = backlog < 0;
  int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{std::string("socket: ") + std::strerror(errno)};
  auto fail = [fd](const char* what) {
    Error error{std::string(what) + ": " + std::strerror(errno)};
    ::close(fd);
    return error;
  };
  int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) return fail("SO_REUSEADDR");
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) return fail("SO_REUSEPORT");
  if (ipv6 && ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) return fail("IPV6_V6ONLY");
  // Accepted sockets inherit TCP_NODELAY on Linux; each accepted socket sets it again anyway.
  if (!udp) ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) return fail("bind");
  if (!udp && ::listen(fd, backlog) != 0) return fail("listen");
  return ListenFd{fd, ipv6};
}

}  // namespace

Result<ListenFd> bindListenSocket(const std::string& address, uint16_t port, int backlog) {
  return bindSocket(address, port, backlog < 0 ? 0 : backlog);
}

Result<ListenFd> bindUdpSocket(const std::string& address, uint16_t port) { return bindSocket(address, port, -1); }

}  // namespace gatehouse::dataplane::net
