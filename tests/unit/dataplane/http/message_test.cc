#include "dataplane/http/message.h"

#include <gtest/gtest.h>

namespace gatehouse::http {
namespace {

Headers sample() {
  Headers h;
  h.add("Accept", "a");
  h.add("X-Multi", "1");
  h.add("Via", "v");
  h.add("x-multi", "2");
  return h;
}

TEST(Headers, FindIsCaseInsensitiveAndReturnsFirstValue) {
  Headers h = sample();
  ASSERT_NE(h.find("X-MULTI"), nullptr);
  EXPECT_EQ(*h.find("X-MULTI"), "1");
}

TEST(Headers, FindReturnsNullWhenAbsent) { EXPECT_EQ(sample().find("missing"), nullptr); }

TEST(Headers, JoinedJoinsAllValuesWithCommaInOrder) { EXPECT_EQ(sample().joined("x-multi"), "1,2"); }

TEST(Headers, JoinedIsEmptyWhenAbsent) { EXPECT_EQ(sample().joined("missing"), ""); }

TEST(Headers, SetReplacesAllFieldsWithOneAtTheFirstPosition) {
  Headers h = sample();
  h.set("X-MULTI", "3");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h.fields()[0], (Headers::Field{"Accept", "a"}));
  EXPECT_EQ(h.fields()[1], (Headers::Field{"X-MULTI", "3"}));
  EXPECT_EQ(h.fields()[2], (Headers::Field{"Via", "v"}));
}

TEST(Headers, SetAppendsWhenAbsent) {
  Headers h = sample();
  h.set("New", "n");
  EXPECT_EQ(h.fields().back(), (Headers::Field{"New", "n"}));
}

TEST(Headers, RemoveRemovesEveryFieldOfTheNameAndCountsThem) {
  Headers h = sample();
  EXPECT_EQ(h.remove("X-Multi"), 2u);
  EXPECT_FALSE(h.contains("x-multi"));
  EXPECT_EQ(h.size(), 2u);
}

TEST(Headers, RemoveOfAbsentNameRemovesNothing) {
  Headers h = sample();
  EXPECT_EQ(h.remove("missing"), 0u);
  EXPECT_EQ(h.size(), 4u);
}

TEST(EqualsIgnoreCase, ComparesAsciiCaseInsensitively) {
  EXPECT_TRUE(equalsIgnoreCase("Content-Type", "content-TYPE"));
  EXPECT_FALSE(equalsIgnoreCase("abc", "abd"));
  EXPECT_FALSE(equalsIgnoreCase("abc", "abcd"));
}

}  // namespace
}  // namespace gatehouse::http
