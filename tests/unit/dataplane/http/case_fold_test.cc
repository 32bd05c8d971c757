#include "dataplane/http/case_fold.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace gatehouse::http {
namespace {

bool reference(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

TEST(EqualsIgnoreCase, EveryPairOfBytesAtEveryPositionOfTheWordAndTheTail) {
  for (size_t length : {1u, 8u, 11u}) {
    for (size_t at = 0; at < length; ++at) {
      for (int x = 0; x < 256; ++x) {
        for (int y = 0; y < 256; ++y) {
          std::string a(length, 'q'), b(length, 'q');
          a[at] = static_cast<char>(x);
          b[at] = static_cast<char>(y);
          ASSERT_EQ(equalsIgnoreCase(a, b), reference(a, b)) << length << " " << at << " " << x << " " << y;
        }
      }
    }
  }
}

TEST(EqualsIgnoreCase, RandomFieldNamesAgreeWithTheBytewiseDefinition) {
  std::mt19937 rng(7);
  const std::string alphabet = "aAzZ-@[`{09\x80\xc1\xe1";
  for (int round = 0; round < 200'000; ++round) {
    const size_t n = rng() % 24;
    std::string a, b;
    for (size_t i = 0; i < n; ++i) {
      a += alphabet[rng() % alphabet.size()];
      b += rng() % 4 ? a.back() : alphabet[rng() % alphabet.size()];
    }
    ASSERT_EQ(equalsIgnoreCase(a, b), reference(a, b)) << a << " / " << b;
  }
  EXPECT_TRUE(equalsIgnoreCase("Transfer-Encoding", "transfer-encoding"));
  EXPECT_FALSE(equalsIgnoreCase("content-length", "content-lengtH "));
  EXPECT_FALSE(equalsIgnoreCase("\xc1", "\xe1"));  // not ASCII letters: no folding
}

}  // namespace
}  // namespace gatehouse::http
