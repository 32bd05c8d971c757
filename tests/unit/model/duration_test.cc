#include "model/duration.h"

#include <gtest/gtest.h>

namespace gatehouse::model {
namespace {

TEST(ParseDurationMs, EachUnit) {
  EXPECT_EQ(parseDurationMs("2h"), 7200000u);
  EXPECT_EQ(parseDurationMs("3m"), 180000u);
  EXPECT_EQ(parseDurationMs("4s"), 4000u);
  EXPECT_EQ(parseDurationMs("500ms"), 500u);
}

TEST(ParseDurationMs, PartsAddUp) { EXPECT_EQ(parseDurationMs("1h2m3s4ms"), 3723004u); }

TEST(ParseDurationMs, ZeroIsAValue) { EXPECT_EQ(parseDurationMs("0s"), 0u); }

TEST(ParseDurationMs, RejectsWhatThePatternRejects) {
  for (const char* s : {"", "1", "s", "1.5s", "1d", "123456s", "1h1h1h1h1h", "-1s", "1s "})
    EXPECT_EQ(parseDurationMs(s), std::nullopt) << s;
}

}  // namespace
}  // namespace gatehouse::model
