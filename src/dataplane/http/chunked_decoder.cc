#include "dataplane/http/chunked_decoder.h"

#include <algorithm>

#include "dataplane/http/char_classes.h"

namespace gatehouse::http {

void ChunkedDecoder::reset() {
  state_ = State::SizeStart;
  chunk_remaining_ = 0;
  data_bytes_ = 0;
  line_bytes_ = 0;
  trailer_bytes_ = 0;
  trailer_count_ = 0;
  error_reason_ = {};
}

ChunkedResult ChunkedDecoder::fail(size_t consumed, std::string_view reason) {
  state_ = State::Error;
  error_reason_ = reason;
  return ChunkedResult{ChunkedStatus::Error, consumed, {}, reason};
}

// chunked-body = *chunk last-chunk trailer-section CRLF (RFC 9112 §7.1), with
// chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ) (§7.1.1) and
// trailer field lines validated like header field lines (§7.1.2, RFC 9110 §5.5).
ChunkedResult ChunkedDecoder::run(std::string_view input, bool stop_after_data) {
  if (state_ == State::Done) return ChunkedResult{ChunkedStatus::Done, 0, {}, {}};
  if (state_ == State::Error) return ChunkedResult{ChunkedStatus::Error, 0, {}, error_reason_};

  size_t i = 0;
  while (i < input.size()) {
    if (state_ == State::Data) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk_remaining_, input.size() - i));
      const std::string_view data = input.substr(i, n);
      i += n;
      chunk_remaining_ -= n;
      data_bytes_ += n;
      if (chunk_remaining_ == 0) state_ = State::DataCr;
      if (stop_after_data) return ChunkedResult{ChunkedStatus::InProgress, i, data, {}};
      continue;
    }

    const char c = input[i];
    const bool in_size_line = state_ <= State::ExtAfterQuoted;
    if (in_size_line && c != '\r' && ++line_bytes_ > limits_.max_chunk_line_bytes)
      return fail(i, "chunk-size line too long");
    if (state_ >= State::TrailerLineStart) {
      if (++trailer_bytes_ > limits_.max_trailer_bytes) return fail(i, "trailer section too large");
      if (trailers_ != nullptr) trailers_->push_back(c);
    }

    switch (state_) {
      case State::SizeStart: {
        const int digit = chars::hexValue(c);
        if (digit < 0) return fail(i, "invalid chunk size");
        chunk_remaining_ = static_cast<uint64_t>(digit);
        state_ = State::Size;
        break;
      }
      case State::Size: {
        const int digit = chars::hexValue(c);
        if (digit >= 0) {
          if (chunk_remaining_ > (UINT64_MAX >> 4)) return fail(i, "chunk size overflows");
          chunk_remaining_ = (chunk_remaining_ << 4) | static_cast<uint64_t>(digit);
        } else if (c == ';') {
          state_ = State::ExtBeforeName;
        } else if (chars::isWhitespace(c)) {
          state_ = State::ExtBeforeSemi;
        } else if (c == '\r') {
          state_ = State::SizeLineLf;
        } else {
          return fail(i, "invalid chunk size");
        }
        break;
      }
      case State::ExtBeforeSemi:
        if (c == ';') state_ = State::ExtBeforeName;
        else if (!chars::isWhitespace(c)) return fail(i, "invalid chunk extension");
        break;
      case State::ExtBeforeName:
        if (chars::is(c, chars::kToken)) state_ = State::ExtName;
        else if (!chars::isWhitespace(c)) return fail(i, "invalid chunk extension");
        break;
      case State::ExtName:
        if (c == ';') state_ = State::ExtBeforeName;
        else if (c == '=') state_ = State::ExtBeforeValue;
        else if (chars::isWhitespace(c)) state_ = State::ExtAfterName;
        else if (c == '\r') state_ = State::SizeLineLf;
        else if (!chars::is(c, chars::kToken)) return fail(i, "invalid chunk extension");
        break;
      case State::ExtAfterName:
        if (c == ';') state_ = State::ExtBeforeName;
        else if (c == '=') state_ = State::ExtBeforeValue;
        else if (!chars::isWhitespace(c)) return fail(i, "invalid chunk extension");
        break;
      case State::ExtBeforeValue:
        if (c == '"') state_ = State::ExtQuoted;
        else if (chars::is(c, chars::kToken)) state_ = State::ExtToken;
        else if (!chars::isWhitespace(c)) return fail(i, "invalid chunk extension");
        break;
      case State::ExtToken:
        if (c == ';') state_ = State::ExtBeforeName;
        else if (chars::isWhitespace(c)) state_ = State::ExtBeforeSemi;
        else if (c == '\r') state_ = State::SizeLineLf;
        else if (!chars::is(c, chars::kToken)) return fail(i, "invalid chunk extension");
        break;
      case State::ExtQuoted:
        if (c == '"') state_ = State::ExtAfterQuoted;
        else if (c == '\\') state_ = State::ExtQuotedPair;
        else if (!chars::is(c, chars::kQdText)) return fail(i, "invalid chunk extension");
        break;
      case State::ExtQuotedPair:
        // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ): the field-value bytes.
        if (!chars::is(c, chars::kFieldValue)) return fail(i, "invalid chunk extension");
        state_ = State::ExtQuoted;
        break;
      case State::ExtAfterQuoted:
        if (c == ';') state_ = State::ExtBeforeName;
        else if (chars::isWhitespace(c)) state_ = State::ExtBeforeSemi;
        else if (c == '\r') state_ = State::SizeLineLf;
        else return fail(i, "invalid chunk extension");
        break;
      case State::SizeLineLf:
        if (c != '\n') return fail(i, "chunk-size line not ended by CRLF");
        line_bytes_ = 0;
        state_ = chunk_remaining_ == 0 ? State::TrailerLineStart : State::Data;
        break;
      case State::DataCr:
        if (c != '\r') return fail(i, "chunk data not followed by CRLF");
        state_ = State::DataLf;
        break;
      case State::DataLf:
        if (c != '\n') return fail(i, "chunk data not followed by CRLF");
        state_ = State::SizeStart;
        break;
      case State::TrailerLineStart:
        if (c == '\r') {
          state_ = State::FinalLf;
        } else if (chars::is(c, chars::kToken)) {
          if (++trailer_count_ > limits_.max_trailer_count) return fail(i, "too many trailer fields");
          state_ = State::TrailerName;
        } else if (chars::isWhitespace(c)) {
          return fail(i, "obsolete line folding in trailers");
        } else {
          return fail(i, "invalid trailer field name");
        }
        break;
      case State::TrailerName:
        if (c == ':') state_ = State::TrailerValue;
        else if (chars::isWhitespace(c)) return fail(i, "whitespace before colon in trailer");
        else if (!chars::is(c, chars::kToken)) return fail(i, "invalid trailer field name");
        break;
      case State::TrailerValue:
        if (c == '\r') state_ = State::TrailerLf;
        else if (!chars::is(c, chars::kFieldValue)) return fail(i, "invalid trailer field value");
        break;
      case State::TrailerLf:
        if (c != '\n') return fail(i, "trailer line not ended by CRLF");
        state_ = State::TrailerLineStart;
        break;
      case State::FinalLf:
        if (c != '\n') return fail(i, "chunked body not ended by CRLF");
        state_ = State::Done;
        return ChunkedResult{ChunkedStatus::Done, i + 1, {}, {}};
      case State::Data:
      case State::Done:
      case State::Error:
        break;  // handled above the switch
    }
    ++i;
  }
  return ChunkedResult{ChunkedStatus::InProgress, i, {}, {}};
}

}  // namespace gatehouse::http
