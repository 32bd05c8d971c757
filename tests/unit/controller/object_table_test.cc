#include "controller/object_table.h"

#include <gtest/gtest.h>

namespace gatehouse::controller {
namespace {

model::ResourcePtr resource(const std::string& kind, const std::string& name) {
  auto r = std::make_shared<model::Resource>();
  r->key = {kind, "ns", name};
  return r;
}

model::Packed status(int n) { return model::Packed(model::Json{{"n", n}}); }

TEST(ObjectTable, SortedListsEntriesInKeyOrder) {
  ObjectTable table;
  for (const char* name : {"c", "a", "b"}) table.setObject({"HTTPRoute", "ns", name}, resource("HTTPRoute", name));
  table.setObject({"Gateway", "ns", "z"}, resource("Gateway", "z"));
  std::vector<std::string> keys;
  for (const auto& [key, entry] : table.sorted()) keys.push_back(key->str());
  EXPECT_EQ(keys, (std::vector<std::string>{"Gateway/ns/z", "HTTPRoute/ns/a", "HTTPRoute/ns/b", "HTTPRoute/ns/c"}));
}

TEST(ObjectTable, EntryGoesWhenItHasNeitherObjectNorStatus) {
  ObjectTable table;
  const model::ObjectKey key{"Gateway", "ns", "gw"};
  table.setObject(key, resource("Gateway", "gw"));
  table.setStatus(key, status(1));
  table.setObject(key, nullptr);
  ASSERT_NE(table.find(key), nullptr);
  EXPECT_EQ(table.find(key)->status, status(1));
  table.setStatus(key, std::nullopt);
  EXPECT_EQ(table.find(key), nullptr);
  EXPECT_TRUE(table.sorted().empty());
}

TEST(ObjectTable, ShareIsUnaffectedByLaterChanges) {
  ObjectTable table;
  const model::ObjectKey a{"HTTPRoute", "ns", "a"}, b{"HTTPRoute", "ns", "b"};
  table.setStatus(a, status(1));
  auto shared = table.share();
  table.setStatus(a, status(2));
  table.setStatus(b, status(3));
  EXPECT_EQ(shared->find(a)->status, status(1));
  EXPECT_EQ(shared->find(b), nullptr);
  EXPECT_EQ(table.find(a)->status, status(2));
  auto again = table.share();
  shared.reset();
  table.setStatus(a, std::nullopt);  // the shard is shared with `again` only
  EXPECT_EQ(again->find(a)->status, status(2));
  EXPECT_EQ(table.find(a), nullptr);
}

TEST(ObjectTable, UnchangedShardsAreSharedNotCopied) {
  ObjectTable table;
  for (int i = 0; i < 1000; ++i) table.setStatus({"HTTPRoute", "ns", "r" + std::to_string(i)}, status(i));
  auto before = table.share();
  table.setStatus({"HTTPRoute", "ns", "r7"}, status(-1));
  auto after = table.share();
  size_t same = 0;
  for (int i = 0; i < 1000; ++i) {
    const model::ObjectKey key{"HTTPRoute", "ns", "r" + std::to_string(i)};
    same += before->find(key) == after->find(key);  // the same entry, in the same shard
  }
  EXPECT_GT(same, 980u);
  EXPECT_LT(same, 1000u);
}

}  // namespace
}  // namespace gatehouse::controller
