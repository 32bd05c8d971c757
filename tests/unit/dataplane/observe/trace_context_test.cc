#include "dataplane/observe/trace_context.h"

#include <gtest/gtest.h>

#include <string>

namespace gatehouse::dataplane::observe {
namespace {

constexpr std::string_view kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

std::string hexOf(const uint8_t* bytes, size_t n) {
  std::string out(2 * n, '?');
  appendHex(out.data(), bytes, n);
  return out;
}

TEST(Traceparent, ValidVersion00GivesItsFields) {
  const auto parsed = parseTraceparent(kValid);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(hexOf(parsed->trace_id.data(), 16), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(hexOf(parsed->parent_id.data(), 8), "00f067aa0ba902b7");
  EXPECT_EQ(parsed->flags, 0x01);
}

TEST(Traceparent, UnknownFlagsAreKept) {
  EXPECT_EQ(parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff")->flags, 0xff);
}

TEST(Traceparent, InvalidValuesAreRefused) {
  for (std::string_view value : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",      // short
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",    // version 00 is exactly 55
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ",
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",     // uppercase hex
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",     // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",     // zero parent id
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",     // version ff
           "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",     // separators
           "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",     // not hex
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
           "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",    // future version, no '-' after
       }) {
    EXPECT_FALSE(parseTraceparent(value)) << value;
  }
}

TEST(Traceparent, HigherVersionIsReadByTheVersion00Layout) {
  const auto longer = parseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds");
  ASSERT_TRUE(longer);
  EXPECT_EQ(longer->flags, 0x01);
  EXPECT_TRUE(parseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(Traceparent, FormatWritesVersion00) {
  const auto parsed = parseTraceparent(kValid);
  char out[kTraceparentSize];
  formatTraceparent(out, parsed->trace_id, parsed->parent_id, 0x03);
  EXPECT_EQ(std::string_view(out, sizeof out), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
}

TEST(Tracestate, ValidListsAreAccepted) {
  for (std::string_view value : {
           "",
           "rojo=00f067aa0ba902b7",
           "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
           " rojo=1 ,\tcongo=2\t",
           "rojo=1,,congo=2",                  // empty members are allowed
           "tenant1@vendor=x",                 // multi-tenant key
           "0tenant@vendor=x",                 // a tenant id may start with a digit
           "k_-*/=v a!",                       // key characters; a space inside a value
       }) {
    EXPECT_TRUE(validTracestate(value)) << value;
  }
}

TEST(Tracestate, InvalidListsAreRefused) {
  for (std::string_view value : {
           "rojo",                 // no '='
           "Rojo=1",               // uppercase key
           "1rojo=1",              // a simple key starts with a letter
           "rojo=",                // empty value
           "rojo=a=b",             // '=' in the value
           "rojo=1,rojo=2",        // duplicate key
           "t@=x",                 // empty system id
           "t@vendorwaytoolong=x", // system id over 14
           "@v=x",                 // empty tenant
           "rojo=\x01",            // control character
       }) {
    EXPECT_FALSE(validTracestate(value)) << value;
  }
  EXPECT_FALSE(validTracestate("k=" + std::string(257, 'v')));
  EXPECT_TRUE(validTracestate("k=" + std::string(256, 'v')));
  EXPECT_FALSE(validTracestate("a" + std::string(256, 'b') + "=v"));
  EXPECT_TRUE(validTracestate(std::string(256, 'a') + "=v"));
}

TEST(Tracestate, AtMost32Members) {
  std::string members;
  for (int i = 0; i < 32; ++i) members += (i ? ",k" : "k") + std::to_string(i) + "=v";
  EXPECT_TRUE(validTracestate(members));
  EXPECT_FALSE(validTracestate(members + ",k32=v"));
}

}  // namespace
}  // namespace gatehouse::dataplane::observe
