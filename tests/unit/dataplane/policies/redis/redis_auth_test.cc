// AUTH for the global rate limits' Redis: the command's RESP bytes (the default user, an ACL
// user, a password with spaces and CR LF inside), and the password file's reading.
#include "dataplane/policies/redis/redis_auth.h"

#include <gtest/gtest.h>

#include "redis_test_files.h"

namespace gatehouse::dataplane::redis {
namespace {

TEST(RedisAuth, CommandWithThePasswordOnlyAuthenticatesTheDefaultUser) {
  EXPECT_EQ(authCommand("", "s3cret"), "*2\r\n$4\r\nAUTH\r\n$6\r\ns3cret\r\n");
}

TEST(RedisAuth, CommandWithAUsernameNamesTheAclUser) {
  EXPECT_EQ(authCommand("limiter", "s3cret"), "*3\r\n$4\r\nAUTH\r\n$7\r\nlimiter\r\n$6\r\ns3cret\r\n");
}

TEST(RedisAuth, PasswordIsOneBulkStringWhateverItHolds) {
  EXPECT_EQ(authCommand("", "a b\r\n*1"), "*2\r\n$4\r\nAUTH\r\n$7\r\na b\r\n*1\r\n");
}

TEST(RedisAuth, PasswordFileLosesItsTrailingNewlineOnly) {
  RedisTestFiles files;
  EXPECT_EQ(readPasswordFile(files.write("lf", "s3cret\n")).value(), "s3cret");
  EXPECT_EQ(readPasswordFile(files.write("crlf", "s3cret\r\n")).value(), "s3cret");
  EXPECT_EQ(readPasswordFile(files.write("none", "s3cret")).value(), "s3cret");
  EXPECT_EQ(readPasswordFile(files.write("inner", " s3 cret \n")).value(), " s3 cret ");
}

TEST(RedisAuth, MissingOrEmptyPasswordFileIsAnErrorNamingIt) {
  RedisTestFiles files;
  const std::string missing = files.path("missing");
  auto result = readPasswordFile(missing);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, missing + ": No such file or directory");
  const std::string empty = files.write("empty", "\n");
  result = readPasswordFile(empty);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, empty + ": empty");
}

}  // namespace
}  // namespace gatehouse::dataplane::redis
