#pragma once
// Creating listening sockets on the control thread, so bind errors come back synchronously.
#include <cstdint>
#include <string>

#include "common/result.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane::net {

// A bound, listening, non-blocking TCP socket with SO_REUSEADDR and SO_REUSEPORT (every worker
// binds its own socket to the same address:port and the kernel spreads connections over them).
// `address` is a numeric IPv4/IPv6 literal; empty means "0.0.0.0". The error names errno.
struct ListenFd {
  int fd = -1;
  bool ipv6 = false;
};
Result<ListenFd> bindListenSocket(const std::string& address, uint16_t port, int backlog);
// The same for a UDP listener: a bound, non-blocking datagram socket with SO_REUSEPORT (the
// kernel hashes each client's address to one worker's socket).
Result<ListenFd> bindUdpSocket(const std::string& address, uint16_t port);

// What an acceptor serves: the snapshot Socket's transport and listener kind.
struct SocketRole {
  snapshot::Transport transport = snapshot::Transport::Tcp;
  snapshot::ListenerKind kind = snapshot::ListenerKind::HttpConnectionManager;
  bool operator==(const SocketRole&) const = default;
};

}  // namespace gatehouse::dataplane::net
