#include <gtest/gtest.h>

#include "snapshot/snapshot.h"

namespace gatehouse::snapshot {
namespace {

ClusterPtr named(const std::string& name) { return std::make_shared<const Cluster>(Cluster{name, {}, {}}); }

TEST(ClusterTable, SetGetAndEmptySlots) {
  ClusterTable t;
  EXPECT_EQ(t.get(0), nullptr);
  t.set(130, named("c130"));
  EXPECT_EQ(t.size(), 131u);
  EXPECT_EQ(t.get(130)->name, "c130");
  EXPECT_EQ(t.get(0), nullptr);
  EXPECT_EQ(t.get(131), nullptr);
  t.set(130, nullptr);
  EXPECT_EQ(t.get(130), nullptr);
}

TEST(ClusterTable, ChangingACopyLeavesTheOriginal) {
  ClusterTable t;
  for (uint32_t i = 0; i < 200; ++i) t.push_back(named("c" + std::to_string(i)));
  ClusterTable copy = t;
  copy.set(5, named("changed"));
  copy.set(199, nullptr);
  copy.push_back(named("c200"));
  EXPECT_EQ(t.get(5)->name, "c5");
  EXPECT_EQ(t.get(199)->name, "c199");
  EXPECT_EQ(t.size(), 200u);
  EXPECT_EQ(copy.get(5)->name, "changed");
  EXPECT_EQ(copy.get(199), nullptr);
  EXPECT_EQ(copy.get(200)->name, "c200");
  EXPECT_EQ(copy.get(6), t.get(6));  // unchanged slots are shared, not copied
}

}  // namespace
}  // namespace gatehouse::snapshot
