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

TEST(AddressAllocator, TenThousandGatewaysOfALargePoolGetDistinctAddressesInOrder) {
  AddressAllocator pool("127.0.0.0/8");
  std::vector<AddressAllocator::Request> requests;
  for (int i = 0; i < 10'000; ++i) requests.push_back({"ns/g" + std::to_string(100'000 + i), ""});
  const Assigned assigned = pool.assign(requests);
  ASSERT_EQ(assigned.size(), 10'000u);
  EXPECT_EQ(assigned.at("ns/g100000"), "127.0.0.1");
  EXPECT_EQ(assigned.at("ns/g109999"), "127.0.39.16");  // the 10,000th address: 39 * 256 + 16
  std::set<std::string> distinct;
  for (const auto& [gateway, address] : assigned) distinct.insert(address);
  EXPECT_EQ(distinct.size(), 10'000u);
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
