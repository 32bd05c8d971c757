#include "translator/address_allocator.h"

#include <gtest/gtest.h>

namespace gatehouse::translator {
namespace {

using Assigned = std::map<std::string, std::string>;

TEST(AddressAllocator, HandsOutTheLowestFreeAddressesSkippingTheNetworkAddress) {
  AddressAllocator pool("127.0.1.0/24");
  EXPECT_EQ(pool.assign({{"ns/a", ""}, {"ns/b", ""}}), (Assigned{{"ns/a", "127.0.1.1"}, {"ns/b", "127.0.1.2"}}));
}

TEST(AddressAllocator, AGatewayKeepsItsAddressAcrossCalls) {
  AddressAllocator pool("127.0.1.0/24");
  pool.assign({{"ns/a", ""}, {"ns/b", ""}});
  EXPECT_EQ(pool.assign({{"ns/b", ""}, {"ns/c", ""}}), (Assigned{{"ns/b", "127.0.1.2"}, {"ns/c", "127.0.1.1"}}));
  EXPECT_EQ(pool.assignments(), (Assigned{{"ns/b", "127.0.1.2"}, {"ns/c", "127.0.1.1"}}));
}

TEST(AddressAllocator, ExplicitAddressesAreNotHandedOut) {
  AddressAllocator pool("127.0.1.0/24");
  pool.setAssignments({{"ns/b", "127.0.1.1"}});
  // "a" names the address "b" held: "b" moves to the next free one.
  EXPECT_EQ(pool.assign({{"ns/a", "127.0.1.1"}, {"ns/b", ""}}),
            (Assigned{{"ns/a", "127.0.1.1"}, {"ns/b", "127.0.1.2"}}));
  EXPECT_EQ(pool.assignments(), (Assigned{{"ns/b", "127.0.1.2"}}));
}

TEST(AddressAllocator, ExhaustedPoolLeavesTheAddressEmpty) {
  AddressAllocator pool("127.0.1.7/32");
  EXPECT_EQ(pool.assign({{"ns/a", ""}, {"ns/b", ""}}), (Assigned{{"ns/a", "127.0.1.7"}, {"ns/b", ""}}));
}

TEST(AddressAllocator, AKeptAddressOutsideThePoolIsReplaced) {
  AddressAllocator pool("127.0.1.0/24");
  pool.setAssignments({{"ns/a", "10.0.0.1"}});
  EXPECT_EQ(pool.assign({{"ns/a", ""}}), (Assigned{{"ns/a", "127.0.1.1"}}));
}

TEST(AddressAllocator, InvalidPoolHandsOutNothing) {
  AddressAllocator pool("not-a-cidr");
  EXPECT_EQ(pool.assign({{"ns/a", ""}}), (Assigned{{"ns/a", ""}}));
}

}  // namespace
}  // namespace gatehouse::translator
