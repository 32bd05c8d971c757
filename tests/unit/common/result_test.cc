#include "common/result.h"

#include <gtest/gtest.h>

namespace gatehouse {
namespace {

TEST(Result, HoldsValue) {
  Result<int> r(7);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 7);
}

TEST(Result, HoldsError) {
  Result<int> r(Error{"bad port"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "bad port");
}

}  // namespace
}  // namespace gatehouse
