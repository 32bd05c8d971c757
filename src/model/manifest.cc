#include "model/manifest.h"

#include <yaml.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <deque>
#include <optional>
#include <unordered_map>

namespace gatehouse::model {
namespace {

bool isNullString(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

std::optional<Json> plainScalar(std::string_view s) {
  if (isNullString(s)) return Json(nullptr);
  if (s == "true" || s == "True" || s == "TRUE") return Json(true);
  if (s == "false" || s == "False" || s == "FALSE") return Json(false);
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  const char* digits = begin + ((s[0] == '-' || s[0] == '+') ? 1 : 0);
  if (digits == end) return std::nullopt;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) return std::nullopt;  // keep as string
  int64_t i = 0;
  auto [p, ec] = std::from_chars(s[0] == '+' ? begin + 1 : begin, end, i);
  if (ec == std::errc() && p == end) return Json(i);
  bool numeric = true, seen_digit = false;
  for (const char* c = digits; c != end; ++c) {
    if (*c >= '0' && *c <= '9') seen_digit = true;
    else if (*c != '.' && *c != 'e' && *c != 'E' && *c != '-' && *c != '+') numeric = false;
  }
  if (numeric && seen_digit) {
    double d = 0;
    auto [q, ec2] = std::from_chars(s[0] == '+' ? begin + 1 : begin, end, d);
    if (ec2 == std::errc() && q == end && std::isfinite(d)) return Json(d);
  }
  return std::nullopt;
}

// Bounds for untrusted YAML: aliases can make a document recursive ("a: &a [*a]") or
// exponential ("billion laughs"); deep nesting would exhaust memory. Depth and value count are
// per document, as a depth-first walk of the alias-expanded tree meets them (keys excluded).
// A node kMaxParseDepth levels down (keys included) is a syntax error, as it was with yaml-cpp;
// it also bounds libyaml's own stacks.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxNodes = 1'000'000;
constexpr size_t kMaxParseDepth = 500;

// A subtree's shape as the walk meets it: its value count, and reach[k] = the 1-based position
// of its first value k levels below its root. Enough to tell which bound an alias of it breaks
// first without expanding it.
struct Shape {
  size_t size = 1;
  std::vector<size_t> reach{1};
};

enum class NodeKind { Null, Scalar, Collection };

struct Anchor {
  NodeKind kind = NodeKind::Null;
  bool open = false;  // its collection is still being read: an alias of it is recursive
  Json value;
  std::string raw;    // a scalar's text, for use as a mapping key
  Shape shape;
};

struct Frame {
  Json* target;
  bool map;
  bool wantKey = true;
  int depth;
  size_t countAtStart;       // values counted before this collection
  Anchor* anchor = nullptr;  // this collection's anchor, if any
  std::string key;
};

// Builds each document's JSON straight from libyaml's events. Once a document has an error,
// the rest of the stream is only parsed: a syntax error anywhere still wins, as it did when
// the whole stream was parsed before any document was converted.
class Decoder {
 public:
  explicit Decoder(std::string_view text) : text_(text) { startParser(0); }
  ~Decoder() { yaml_parser_delete(&parser_); }
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  Result<std::vector<Json>> run();

 private:
  void startParser(size_t offset);
  bool restartAtNewDocument();
  std::string markedError(yaml_mark_t mark, const std::string& what) const;
  std::string libyamlError() const;
  void startDocument();
  void endDocument();
  // The first error of a document wins, except that a later non-scalar key of a mapping that
  // was open then replaces it: the tree walk this mimics went on checking those keys.
  void fail(std::string what) {
    if (docError_.empty()) docError_ = std::move(what);
  }
  void failDeep() { fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels"); }
  void failMany() { fail("more than " + std::to_string(kMaxNodes) + " values (alias expansion?)"); }
  void failKey() { docError_ = "mapping keys must be strings"; }
  bool failed() const { return !docError_.empty(); }
  bool visit(int depth, const Shape& shape);
  bool visitOne(int depth);
  void growOpenAnchors(int depth, size_t before, const Shape& shape);
  void place(Json&& value);
  bool atKey() const { return skip_ == 0 && !frames_.empty() && frames_.back().map && frames_.back().wantKey; }
  int childDepth() const { return frames_.empty() ? 0 : frames_.back().depth + 1; }
  Anchor* defineAnchor(const yaml_char_t* name, NodeKind kind);
  void onScalar(const yaml_event_t& e);
  void onAlias(const yaml_event_t& e);
  void onStart(const yaml_event_t& e, bool map);
  void onEnd();

  std::string_view text_;
  yaml_parser_t parser_;
  size_t base_ = 0;  // where in text_ the parser started, and that place's line and column
  size_t baseLine_ = 0, baseColumn_ = 0;
  std::vector<Json> out_;
  std::string pending_;  // the stream's first document error
  std::string syntax_;   // a syntax error found here rather than by libyaml
  size_t nesting_ = 0;   // open collections, keys and skipped ones included

  // Per document.
  Json root_;
  std::string docError_;
  size_t docNumber_ = 0;
  size_t count_ = 0;
  std::vector<Frame> frames_;  // collections being built; none are opened after an error
  size_t skip_ = 0;            // nesting inside a collection that is not built
  bool skipIsKey_ = false;
  std::deque<Anchor> anchorStore_;
  std::unordered_map<std::string, Anchor*> anchors_;
  std::vector<size_t> openAnchors_;  // frames with an anchor
};

// Length of the line break at text[i] by libyaml's rules (CRLF, CR, LF, NEL, LS, PS), or 0.
size_t lineBreakAt(std::string_view t, size_t i) {
  if (t[i] == '\n') return 1;
  if (t[i] == '\r') return i + 1 < t.size() && t[i + 1] == '\n' ? 2 : 1;
  if (t.substr(i, 2) == "\xC2\x85") return 2;
  if (t.substr(i, 3) == "\xE2\x80\xA8" || t.substr(i, 3) == "\xE2\x80\xA9") return 3;
  return 0;
}

size_t utf8Length(char lead) {
  const auto c = static_cast<unsigned char>(lead);
  return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

void Decoder::startParser(size_t offset) {
  for (size_t i = base_; i < offset;) {  // the new start's line and column, for error messages
    if (size_t n = lineBreakAt(text_, i)) {
      i += n, baseLine_++, baseColumn_ = 0;
    } else {
      i += utf8Length(text_[i]), baseColumn_++;
    }
  }
  base_ = offset;
  yaml_parser_initialize(&parser_);
  yaml_parser_set_encoding(&parser_, YAML_UTF8_ENCODING);
  yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text_.data() + offset),
                               text_.size() - offset);
}

// yaml-cpp began a new document wherever a finished one was followed by more content, without
// `---`: concatenated JSON objects ("{...}\n{...}") were read that way. libyaml refuses; go on
// with a fresh parser from there.
bool Decoder::restartAtNewDocument() {
  if (parser_.error != YAML_PARSER_ERROR || !parser_.problem ||
      std::string_view(parser_.problem) != "did not find expected <document start>")
    return false;
  const yaml_mark_t at = parser_.problem_mark;
  size_t i = base_;
  for (size_t line = 0; i < text_.size() && line < at.line; ++line) {
    while (i < text_.size() && lineBreakAt(text_, i) == 0) ++i;
    if (i < text_.size()) i += lineBreakAt(text_, i);
  }
  for (size_t column = 0; i < text_.size() && column < at.column; ++column) i += utf8Length(text_[i]);
  if (i <= base_ || i >= text_.size()) return false;
  yaml_parser_delete(&parser_);
  startParser(i);
  return true;
}

std::string Decoder::markedError(yaml_mark_t mark, const std::string& what) const {
  const size_t line = baseLine_ + mark.line, column = mark.line == 0 ? baseColumn_ + mark.column : mark.column;
  return "line " + std::to_string(line + 1) + ", column " + std::to_string(column + 1) + ": " + what;
}

std::string Decoder::libyamlError() const {
  std::string what = parser_.problem ? parser_.problem : "invalid YAML";
  if (parser_.error == YAML_READER_ERROR) {  // no mark, only a byte offset
    yaml_mark_t mark{};
    const size_t end = std::min(base_ + parser_.problem_offset, text_.size());
    for (size_t i = base_; i < end; ++i) {
      if (text_[i] == '\n') mark.line++, mark.column = 0;
      else if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) mark.column++;
    }
    return markedError(mark, what);
  }
  if (parser_.context) {
    const std::string context = markedError(parser_.context_mark, "");
    what += " (" + std::string(parser_.context) + " at " + context.substr(0, context.size() - 2) + ")";
  }
  return markedError(parser_.problem_mark, what);
}

void Decoder::startDocument() {
  root_ = Json();
  docError_.clear();
  if (!pending_.empty()) docError_ = "-";  // only parse the rest
  docNumber_ = out_.size() + 1;
  count_ = 0;
  frames_.clear();
  skip_ = 0;
  anchorStore_.clear();
  anchors_.clear();
  openAnchors_.clear();
}

void Decoder::endDocument() {
  if (!pending_.empty()) return;
  if (failed()) {
    pending_ = "document " + std::to_string(docNumber_) + ": " + docError_;
    return;
  }
  // An empty document between separators is skipped; a List stands for its items.
  auto append = [this](auto& self, Json doc) -> void {
    if (doc.is_null()) return;
    if (doc.is_object() && doc.contains("kind") && doc["kind"] == "List" && doc.contains("items") &&
        doc["items"].is_array()) {
      for (auto& item : doc["items"]) self(self, std::move(item));
      return;
    }
    out_.push_back(std::move(doc));
  };
  append(append, std::move(root_));
}

// Counts a value of `shape` at `depth` against the bounds; false (and an error) if it breaks one.
bool Decoder::visit(int depth, const Shape& shape) {
  // The walk fails at the first value deeper than kMaxDepth or at value kMaxNodes + 1, whichever
  // comes first (depth is checked first at a value).
  size_t deepAt = std::numeric_limits<size_t>::max();
  size_t tooDeep = depth > kMaxDepth ? 0 : static_cast<size_t>(kMaxDepth + 1 - depth);
  if (tooDeep < shape.reach.size()) deepAt = shape.reach[tooDeep];
  size_t manyAt = kMaxNodes - count_ + 1;
  if (deepAt <= shape.size || manyAt <= shape.size) {
    deepAt <= manyAt ? failDeep() : failMany();
    return false;
  }
  size_t before = count_;
  count_ += shape.size;
  growOpenAnchors(depth, before, shape);
  return true;
}

bool Decoder::visitOne(int depth) {
  if (depth > kMaxDepth) {
    failDeep();
    return false;
  }
  if (count_ == kMaxNodes) {
    failMany();
    return false;
  }
  ++count_;
  for (size_t i : openAnchors_) {
    auto& reach = frames_[i].anchor->shape.reach;
    if (static_cast<size_t>(depth - frames_[i].depth) == reach.size()) reach.push_back(count_ - frames_[i].countAtStart);
  }
  return true;
}

void Decoder::growOpenAnchors(int depth, size_t before, const Shape& shape) {
  for (size_t i : openAnchors_) {
    auto& reach = frames_[i].anchor->shape.reach;
    const size_t rel = static_cast<size_t>(depth - frames_[i].depth);
    for (size_t k = 0; k < shape.reach.size(); ++k) {
      if (rel + k == reach.size()) reach.push_back(before - frames_[i].countAtStart + shape.reach[k]);
    }
  }
}

// A finished value goes to the document root or into the innermost open collection.
void Decoder::place(Json&& value) {
  if (frames_.empty()) {
    if (!failed()) root_ = std::move(value);
    return;
  }
  Frame& f = frames_.back();
  if (!failed()) {
    if (f.map) (*f.target)[f.key] = std::move(value);
    else f.target->push_back(std::move(value));
  }
  f.wantKey = true;
}

Anchor* Decoder::defineAnchor(const yaml_char_t* name, NodeKind kind) {
  if (!name) return nullptr;
  Anchor* a = &anchorStore_.emplace_back();
  a->kind = kind;
  anchors_[reinterpret_cast<const char*>(name)] = a;  // a redefinition applies from here on
  return a;
}

void Decoder::onScalar(const yaml_event_t& e) {
  const auto& s = e.data.scalar;
  std::string_view text(reinterpret_cast<const char*>(s.value), s.length);
  const bool plain = !s.tag && s.style == YAML_PLAIN_SCALAR_STYLE;  // tagged or quoted: a string
  const bool isNull = plain && isNullString(text);
  Anchor* anchor = defineAnchor(s.anchor, isNull ? NodeKind::Null : NodeKind::Scalar);
  if (anchor) anchor->raw = text;
  if (skip_ > 0) return;
  if (atKey()) {
    Frame& f = frames_.back();
    if (isNull) failKey();
    f.key = text;
    f.wantKey = false;
    if (anchor && !failed()) anchor->value = plain ? plainScalar(text).value_or(Json(text)) : Json(text);
    return;
  }
  if (failed() || !visitOne(childDepth())) {
    place(Json());
    return;
  }
  Json value = plain ? plainScalar(text).value_or(Json(text)) : Json(text);
  if (anchor) anchor->value = value;
  place(std::move(value));
}

void Decoder::onAlias(const yaml_event_t& e) {
  auto it = anchors_.find(reinterpret_cast<const char*>(e.data.alias.anchor));
  if (it == anchors_.end()) {
    syntax_ = markedError(e.start_mark, "the referenced anchor is not defined");
    return;
  }
  if (skip_ > 0) return;
  const Anchor& a = *it->second;
  if (atKey()) {
    Frame& f = frames_.back();
    if (a.kind != NodeKind::Scalar) failKey();
    f.key = a.raw;
    f.wantKey = false;
    return;
  }
  const int depth = childDepth();
  if (failed()) {
    place(Json());
    return;
  }
  if (a.open) {
    // Recursive: every round of the endless walk repeats the values of the anchor read so
    // far, one anchor-to-alias distance deeper, until a bound breaks.
    const Frame* start = nullptr;
    for (const Frame& f : frames_)
      if (f.anchor == &a) start = &f;
    const Shape round{count_ - start->countAtStart, a.shape.reach};
    for (int d = depth; visit(d, round); d += depth - start->depth) {
    }
    place(Json());
    return;
  }
  if (!visit(depth, a.shape)) {
    place(Json());
    return;
  }
  place(Json(a.value));
}

void Decoder::onStart(const yaml_event_t& e, bool map) {
  Anchor* anchor =
      defineAnchor(map ? e.data.mapping_start.anchor : e.data.sequence_start.anchor, NodeKind::Collection);
  if (skip_ > 0) {
    ++skip_;
    return;
  }
  if (atKey()) {
    failKey();
    skip_ = 1;
    skipIsKey_ = true;
    return;
  }
  const int depth = childDepth();
  if (failed() || !visitOne(depth)) {
    skip_ = 1;  // never walked: its keys are not checked
    skipIsKey_ = false;
    return;
  }
  Json* target = &root_;
  if (!frames_.empty()) {
    Frame& parent = frames_.back();
    if (parent.map) {
      target = &(*parent.target)[parent.key];
    } else {
      parent.target->push_back(nullptr);
      target = &parent.target->back();
    }
  }
  *target = map ? Json::object() : Json::array();
  frames_.push_back(Frame{target, map, true, depth, count_ - 1, anchor, {}});
  if (anchor) {
    anchor->open = true;
    openAnchors_.push_back(frames_.size() - 1);
  }
}

void Decoder::onEnd() {
  if (skip_ > 0) {
    // A skipped key is followed by its value; a skipped value completes a pair or an item.
    if (--skip_ == 0 && !frames_.empty()) frames_.back().wantKey = !skipIsKey_;
    return;
  }
  Frame& f = frames_.back();
  if (Anchor* a = f.anchor) {
    a->open = false;
    a->shape.size = count_ - f.countAtStart;
    if (!failed()) a->value = *f.target;
    openAnchors_.pop_back();
  }
  frames_.pop_back();
  if (!frames_.empty()) frames_.back().wantKey = true;
}

Result<std::vector<Json>> Decoder::run() {
  yaml_event_t e;
  for (bool done = false; !done;) {
    if (!yaml_parser_parse(&parser_, &e)) {
      if (frames_.empty() && skip_ == 0 && restartAtNewDocument()) continue;
      return Error{libyamlError()};
    }
    switch (e.type) {
      case YAML_DOCUMENT_START_EVENT:
        startDocument();
        break;
      case YAML_DOCUMENT_END_EVENT:
        endDocument();
        break;
      case YAML_SCALAR_EVENT:
      case YAML_ALIAS_EVENT:
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT:
        if (nesting_ + 1 >= kMaxParseDepth) {
          syntax_ = markedError(e.start_mark, "nesting " + std::to_string(kMaxParseDepth) + " levels deep");
        } else if (e.type == YAML_SCALAR_EVENT) {
          onScalar(e);
        } else if (e.type == YAML_ALIAS_EVENT) {
          onAlias(e);
        } else {
          ++nesting_;
          onStart(e, e.type == YAML_MAPPING_START_EVENT);
        }
        break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        --nesting_;
        onEnd();
        break;
      case YAML_STREAM_END_EVENT:
        done = true;
        break;
      default:
        break;
    }
    yaml_event_delete(&e);
    if (!syntax_.empty()) return Error{syntax_};
  }
  if (!pending_.empty()) return Error{pending_};
  for (size_t i = 0; i < out_.size(); ++i) {
    if (!out_[i].is_object())
      return Error{"document " + std::to_string(i + 1) + ": not a mapping (a Kubernetes object is expected)"};
  }
  return std::move(out_);
}

// Offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or npos. The API server refuses such manifests, and
// every JSON encoder downstream (status, admin API) would have to.
size_t invalidUtf8At(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) len = 3;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    else return i;
    if (i + len > s.size()) return i;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

}  // namespace

Result<std::vector<Json>> decodeManifests(std::string_view text) {
  if (size_t bad = invalidUtf8At(text); bad != std::string_view::npos)
    return Error{"byte " + std::to_string(bad) + ": not valid UTF-8"};
  // JSON is YAML for our purposes (flow collections, double-quoted strings); one path for both.
  return Decoder(text).run();
}

Result<ObjectKey> objectKeyOf(const Json& object) {
  auto str = [&](const Json& j, const char* key) -> std::string {
    auto it = j.find(key);
    return (it != j.end() && it->is_string()) ? it->get<std::string>() : std::string();
  };
  ObjectKey key;
  key.kind = str(object, "kind");
  if (key.kind.empty()) return Error{"kind: required"};
  if (str(object, "apiVersion").empty()) return Error{"apiVersion: required"};
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return Error{"metadata: required"};
  key.name = str(*meta, "name");
  if (key.name.empty()) return Error{"metadata.name: required"};
  if (!isClusterScoped(key.kind)) {
    key.ns = str(*meta, "namespace");
    if (key.ns.empty()) key.ns = "default";
  }
  return key;
}

}  // namespace gatehouse::model
