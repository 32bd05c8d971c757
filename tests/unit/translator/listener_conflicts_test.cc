// Listener compatibility for every protocol pair on one port (ListenerSpec, "Distinct" and
// "Compatible Listeners").
#include "translator/listener_conflicts.h"

#include <gtest/gtest.h>

namespace gatehouse::translator {
namespace {

model::Listener listener(const std::string& protocol, int32_t port, const std::string& hostname = "") {
  model::Listener l;
  l.name = protocol + "-" + std::to_string(port);
  l.protocol = protocol;
  l.port = port;
  l.hostname = hostname;
  return l;
}

std::string conflict(const model::Listener& a, const model::Listener& b) {
  const char* why = listenerConflict(a, b);
  return why ? why : "";
}

TEST(ListenerConflict, DifferentPortsNeverConflict) {
  EXPECT_EQ(conflict(listener("HTTP", 80), listener("HTTPS", 443)), "");
  EXPECT_EQ(conflict(listener("TCP", 80), listener("TCP", 81)), "");
}

TEST(ListenerConflict, HttpAndHttpsOnOnePortAreProtocolConflict) {
  EXPECT_EQ(conflict(listener("HTTP", 80), listener("HTTPS", 80, "a.example.com")), "ProtocolConflict");
}

TEST(ListenerConflict, HttpAndTlsOnOnePortAreProtocolConflict) {
  EXPECT_EQ(conflict(listener("HTTP", 443, "a.example.com"), listener("TLS", 443, "b.example.com")), "ProtocolConflict");
}

TEST(ListenerConflict, HttpsAndTlsShareAPortByHostname) {
  EXPECT_EQ(conflict(listener("HTTPS", 443, "a.example.com"), listener("TLS", 443, "b.example.com")), "");
  EXPECT_EQ(conflict(listener("HTTPS", 443, "a.example.com"), listener("TLS", 443, "a.example.com")),
            "HostnameConflict");
}

TEST(ListenerConflict, SameProtocolWithDistinctHostnamesIsFine) {
  for (const char* protocol : {"HTTP", "HTTPS", "TLS"}) {
    EXPECT_EQ(conflict(listener(protocol, 8443, "a.example.com"), listener(protocol, 8443, "*.example.com")), "")
        << protocol;
    EXPECT_EQ(conflict(listener(protocol, 8443, "a.example.com"), listener(protocol, 8443)), "") << protocol;
  }
}

TEST(ListenerConflict, SameProtocolWithTheSameHostnameIsHostnameConflict) {
  for (const char* protocol : {"HTTP", "HTTPS", "TLS"}) {
    EXPECT_EQ(conflict(listener(protocol, 8443, "a.example.com"), listener(protocol, 8443, "a.example.com")),
              "HostnameConflict")
        << protocol;
    EXPECT_EQ(conflict(listener(protocol, 8443), listener(protocol, 8443)), "HostnameConflict") << protocol;
  }
}

TEST(ListenerConflict, TcpAndUdpOnOnePortAreCompatible) {
  EXPECT_EQ(conflict(listener("TCP", 53), listener("UDP", 53)), "");
}

TEST(ListenerConflict, UdpIsCompatibleWithEveryTcpBasedProtocol) {
  for (const char* protocol : {"HTTP", "HTTPS", "TLS", "TCP"})
    EXPECT_EQ(conflict(listener("UDP", 443), listener(protocol, 443, "a.example.com")), "") << protocol;
}

TEST(ListenerConflict, TcpSharesItsPortWithNoOtherTcpBasedListener) {
  for (const char* protocol : {"HTTP", "HTTPS", "TLS", "TCP"}) {
    EXPECT_EQ(conflict(listener("TCP", 9000), listener(protocol, 9000, "a.example.com")), "ProtocolConflict")
        << protocol;
    EXPECT_EQ(conflict(listener(protocol, 9000, "a.example.com"), listener("TCP", 9000)), "ProtocolConflict")
        << protocol;
  }
}

TEST(ListenerConflict, TwoUdpListenersOnOnePortConflict) {
  EXPECT_EQ(conflict(listener("UDP", 53), listener("UDP", 53)), "ProtocolConflict");
}

}  // namespace
}  // namespace gatehouse::translator
