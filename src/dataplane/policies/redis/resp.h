#pragma once
// RESP2, the Redis protocol (https://redis.io/docs/reference/protocol-spec/), as a pure unit:
// commands out as arrays of bulk strings, replies in as values. The parser trusts no length:
// bulk strings, arrays, nesting and the bytes buffered for one unfinished reply are bounded, and
// anything else than well-formed RESP2 is Invalid (the caller closes the connection).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::dataplane::redis {

struct RespValue {
  enum class Type : uint8_t { SimpleString, Error, Integer, BulkString, Nil, Array };
  Type type = Type::Nil;
  std::string text;                 // SimpleString, Error, BulkString
  int64_t integer = 0;              // Integer
  std::vector<RespValue> elements;  // Array (a nil array or bulk string is Nil)

  bool isError() const { return type == Type::Error; }
  bool operator==(const RespValue&) const = default;
};

struct RespLimits {
  size_t max_bulk = 64 * 1024;         // one bulk string's length
  size_t max_elements = 1024;          // one array's elements
  size_t max_depth = 4;                // arrays within arrays
  size_t max_line = 1024;              // a simple string, an error, a number line
  size_t max_buffered = 1024 * 1024;   // bytes of an unfinished reply
};

// The command `args` as RESP: an array of bulk strings.
std::string encodeCommand(const std::vector<std::string_view>& args);

class RespParser {
 public:
  explicit RespParser(RespLimits limits = {}) : limits_(limits) {}

  // Appends bytes read from the connection.
  void feed(std::string_view bytes);

  enum class Status { Value, NeedMore, Invalid };
  // The next complete reply into `out` (Value), or NeedMore; Invalid is final: error() says why.
  Status next(RespValue& out);
  const std::string& error() const { return error_; }

 private:
  enum class Step { Done, NeedMore, Invalid };
  Step value(size_t& pos, size_t depth, RespValue& out);
  Step line(size_t& pos, std::string_view& out);
  Step number(size_t& pos, int64_t& out);
  Step invalid(std::string why);

  RespLimits limits_;
  std::string buffer_;
  size_t begin_ = 0;  // first byte not yet parsed into a value
  std::string error_;
};

}  // namespace gatehouse::dataplane::redis
