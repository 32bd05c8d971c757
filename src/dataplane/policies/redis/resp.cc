#include "dataplane/policies/redis/resp.h"

#include <charconv>

namespace gatehouse::dataplane::redis {

std::string encodeCommand(const std::vector<std::string_view>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (std::string_view arg : args) {
    out += '$';
    out += std::to_string(arg.size());
    out += "\r\n";
    out += arg;
    out += "\r\n";
  }
  return out;
}

void RespParser::feed(std::string_view bytes) {
  if (!error_.empty()) return;
  // Parsed replies are dropped first, so the buffer holds at most one unfinished reply.
  if (begin_ > 0) {
    buffer_.erase(0, begin_);
    begin_ = 0;
  }
  buffer_.append(bytes);
}

RespParser::Status RespParser::next(RespValue& out) {
  if (!error_.empty()) return Status::Invalid;
  if (begin_ == buffer_.size()) return Status::NeedMore;
  size_t pos = begin_;
  RespValue value;
  switch (this->value(pos, 0, value)) {
    case Step::Done:
      begin_ = pos;
      out = std::move(value);
      return Status::Value;
    case Step::NeedMore:
      if (buffer_.size() - begin_ > limits_.max_buffered) {
        invalid("a reply longer than " + std::to_string(limits_.max_buffered) + " bytes");
        return Status::Invalid;
      }
      return Status::NeedMore;
    case Step::Invalid:
      break;
  }
  return Status::Invalid;
}

RespParser::Step RespParser::invalid(std::string why) {
  error_ = std::move(why);
  buffer_.clear();
  begin_ = 0;
  return Step::Invalid;
}

RespParser::Step RespParser::line(size_t& pos, std::string_view& out) {
  const size_t end = buffer_.find("\r\n", pos);
  if (end == std::string::npos) {
    // A '\r' may be the last byte so far; anything longer than a line may be is not waited for.
    if (buffer_.size() - pos > limits_.max_line + 1) return invalid("a line longer than " + std::to_string(limits_.max_line) + " bytes");
    return Step::NeedMore;
  }
  if (end - pos > limits_.max_line) return invalid("a line longer than " + std::to_string(limits_.max_line) + " bytes");
  out = std::string_view(buffer_).substr(pos, end - pos);
  if (out.find_first_of("\r\n") != std::string_view::npos) return invalid("a bare CR or LF inside a line");
  pos = end + 2;
  return Step::Done;
}

RespParser::Step RespParser::number(size_t& pos, int64_t& out) {
  std::string_view text;
  if (Step s = line(pos, text); s != Step::Done) return s;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, out);
  // from_chars accepts "-" then digits only; no '+', spaces or trailing bytes.
  if (text.empty() || ec != std::errc() || end != last) return invalid("not an integer: \"" + std::string(text) + "\"");
  return Step::Done;
}

RespParser::Step RespParser::value(size_t& pos, size_t depth, RespValue& out) {
  if (pos >= buffer_.size()) return Step::NeedMore;
  const char type = buffer_[pos++];
  switch (type) {
    case '+':
    case '-': {
      std::string_view text;
      if (Step s = line(pos, text); s != Step::Done) return s;
      out.type = type == '+' ? RespValue::Type::SimpleString : RespValue::Type::Error;
      out.text = std::string(text);
      return Step::Done;
    }
    case ':':
      out.type = RespValue::Type::Integer;
      return number(pos, out.integer);
    case '$': {
      int64_t length = 0;
      if (Step s = number(pos, length); s != Step::Done) return s;
      if (length == -1) {
        out.type = RespValue::Type::Nil;
        return Step::Done;
      }
      if (length < 0 || static_cast<uint64_t>(length) > limits_.max_bulk)
        return invalid("bulk string length " + std::to_string(length) + " out of range 0.." +
                       std::to_string(limits_.max_bulk));
      const size_t n = static_cast<size_t>(length);
      if (buffer_.size() - pos < n + 2) return Step::NeedMore;
      if (buffer_.compare(pos + n, 2, "\r\n") != 0) return invalid("bulk string not ended by CRLF");
      out.type = RespValue::Type::BulkString;
      out.text = buffer_.substr(pos, n);
      pos += n + 2;
      return Step::Done;
    }
    case '*': {
      int64_t count = 0;
      if (Step s = number(pos, count); s != Step::Done) return s;
      if (count == -1) {
        out.type = RespValue::Type::Nil;
        return Step::Done;
      }
      if (count < 0 || static_cast<uint64_t>(count) > limits_.max_elements)
        return invalid("array of " + std::to_string(count) + " elements, out of range 0.." +
                       std::to_string(limits_.max_elements));
      if (depth >= limits_.max_depth)
        return invalid("arrays nested deeper than " + std::to_string(limits_.max_depth));
      out.type = RespValue::Type::Array;
      // Grown element by element: the count is not trusted for a reservation.
      for (int64_t i = 0; i < count; ++i) {
        RespValue element;
        if (Step s = value(pos, depth + 1, element); s != Step::Done) return s;
        out.elements.push_back(std::move(element));
      }
      return Step::Done;
    }
    default:
      return invalid("unknown reply type byte " + std::to_string(static_cast<unsigned char>(type)));
  }
}

}  // namespace gatehouse::dataplane::redis
