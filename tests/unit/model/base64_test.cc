#include "model/base64.h"

#include <gtest/gtest.h>

namespace gatehouse::model {
namespace {

TEST(Base64Decode, DecodesPaddedInput) {
  EXPECT_EQ(base64Decode("aGVsbG8=").value(), "hello");
  EXPECT_EQ(base64Decode("aGk=").value(), "hi");
  EXPECT_EQ(base64Decode("aGV5").value(), "hey");
  EXPECT_EQ(base64Decode("").value(), "");
}

TEST(Base64Decode, IgnoresLineBreaks) { EXPECT_EQ(base64Decode("aGVs\r\nbG8=\n").value(), "hello"); }

TEST(Base64Decode, DecodesBinary) { EXPECT_EQ(base64Decode("AP8=").value(), std::string("\x00\xff", 2)); }

TEST(Base64Decode, RejectsAForeignCharacterAtItsPosition) {
  auto r = base64Decode("aGV*bG8=");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "illegal base64 data at input byte 3");
}

TEST(Base64Decode, RejectsDataAfterPadding) {
  auto r = base64Decode("aGk=aGk=");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "illegal base64 data at input byte 4");
}

TEST(Base64Decode, ReportsAnIncompleteQuantumAtItsStart) {
  auto r = base64Decode("aGVsbG8");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "illegal base64 data at input byte 4");
}

}  // namespace
}  // namespace gatehouse::model
