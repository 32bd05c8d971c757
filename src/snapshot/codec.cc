#include "snapshot/codec.h"

#include <re2/re2.h>

#include <algorithm>
#include <exception>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>

namespace gatehouse::snapshot {

namespace {

constexpr std::string_view kMagic = "GHSN";
constexpr uint64_t kAnyU64 = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kMaxU32 = std::numeric_limits<uint32_t>::max();
constexpr uint64_t kMaxU16 = std::numeric_limits<uint16_t>::max();
constexpr size_t kMaxQuotedPattern = 64;

// ---- encoding -------------------------------------------------------------------------------

class Encoder {
 public:
  explicit Encoder(const Snapshot& snapshot) : snapshot_(snapshot) {}

  std::string run() {
    out_.append(kMagic);
    varint(kCodecFormatVersion);
    varint(snapshot_.version);
    clusters();
    localRateLimits();
    globalRateLimits();
    // Route tables first, each once (listeners may share one); hosts then name them by index.
    collectTables();
    varint(tables_.size());
    for (const RouteTable* table : tables_) routeTable(*table);
    varint(snapshot_.sockets.size());
    size_t listener_index = 0;
    for (const Socket& socket : snapshot_.sockets) {
      string(socket.address);
      varint(socket.port);
      varint(static_cast<uint64_t>(socket.transport));
      varint(static_cast<uint64_t>(socket.kind));
      varint(socket.listeners.size());
      for (const Listener& listener : socket.listeners) this->listener(listener, exact_[listener_index++]);
    }
    return std::move(out_);
  }

 private:
  using ExactHosts = std::vector<std::pair<const std::string*, const RouteTable*>>;

  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void string(std::string_view s) {
    varint(s.size());
    out_.append(s);
  }
  void flag(bool b) { out_.push_back(b ? 1 : 0); }
  void optionalString(const std::optional<std::string>& s) {
    flag(s.has_value());
    if (s) string(*s);
  }
  void optionalU32(const std::optional<uint32_t>& v) {
    flag(v.has_value());
    if (v) varint(*v);
  }

  void clusters() {
    const ClusterTable& table = snapshot_.clusters;
    uint32_t present = 0;
    for (uint32_t i = 0; i < table.size(); ++i) present += table.get(i) != nullptr;
    varint(table.size());
    varint(present);
    uint32_t next = 0;  // slots are sparse: each present cluster says how many empty ones precede it
    for (uint32_t i = 0; i < table.size(); ++i) {
      const Cluster* cluster = table.get(i);
      if (!cluster) continue;
      varint(i - next);
      next = i + 1;
      string(cluster->name);
      varint(static_cast<uint64_t>(cluster->protocol));
      varint(cluster->endpoints.size());
      for (const Endpoint& e : cluster->endpoints) {
        string(e.ip);
        varint(e.port);
      }
      flag(cluster->tls.has_value());
      if (const auto& tls = cluster->tls) {
        string(tls->sni);
        string(tls->ca_pem);
        stringList(tls->dns_names);
        stringList(tls->uris);
        flag(tls->usable);
      }
    }
  }

  void stringList(const std::vector<std::string>& list) {
    varint(list.size());
    for (const std::string& s : list) string(s);
  }

  void collectTables() {
    auto add = [&](const RouteTable* table) {
      if (table && index_.emplace(table, tables_.size()).second) tables_.push_back(table);
    };
    for (const Socket& socket : snapshot_.sockets) {
      for (const Listener& listener : socket.listeners) {
        ExactHosts& exact = exact_.emplace_back();
        listener.hosts.forEachExact(
            [&](const std::string& host, const RouteTablePtr& table) { exact.emplace_back(&host, table.get()); });
        std::sort(exact.begin(), exact.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
        for (const auto& [host, table] : exact) add(table);
        for (const auto& [suffix, table] : listener.hosts.wildcard_suffix) add(table.get());
        add(listener.hosts.any.get());
      }
    }
  }

  void tableRef(const RouteTable* table) { varint(table ? index_.at(table) + 1 : 0); }

  void headerModifier(const HeaderModifier& m) {
    for (const auto* pairs : {&m.set, &m.add}) {
      varint(pairs->size());
      for (const auto& [name, value] : *pairs) {
        string(name);
        string(value);
      }
    }
    varint(m.remove.size());
    for (const std::string& name : m.remove) string(name);
  }

  void optionalPath(const std::optional<PathModifier>& path) {
    flag(path.has_value());
    if (!path) return;
    varint(static_cast<uint64_t>(path->type));
    string(path->value);
  }

  // Each filter: its type (the index in `Filter`), then its fields.
  void filters(const Filters& list) {
    varint(list.size());
    for (const Filter& f : list) {
      varint(f.index());
      std::visit([&](const auto& typed) { filter(typed); }, f);
    }
  }

  void filter(const RequestHeaderModifier& m) { headerModifier(m); }
  void filter(const ResponseHeaderModifier& m) { headerModifier(m); }
  void filter(const RequestRedirect& r) {
    optionalString(r.scheme);
    optionalString(r.hostname);
    optionalPath(r.path);
    flag(r.port.has_value());
    if (r.port) varint(*r.port);
    varint(r.status_code);
  }
  void filter(const UrlRewrite& r) {
    optionalString(r.hostname);
    optionalPath(r.path);
  }
  void filter(const RequestMirror& m) {
    varint(m.cluster);
    varint(m.numerator);
    varint(m.denominator);
  }
  void filter(const Cors& c) {
    for (const auto* list : {&c.allow_origins, &c.allow_methods, &c.allow_headers, &c.expose_headers}) {
      varint(list->size());
      for (const std::string& s : *list) string(s);
    }
    flag(c.allow_credentials);
    varint(c.max_age);
  }

  // What a local and a global limit share, in this order.
  template <class Limit>
  void rateLimitFields(const Limit& l) {
    string(l.policy);
    string(l.target);
    varint(l.requests);
    varint(l.window_ms);
    varint(static_cast<uint64_t>(l.key));
    string(l.header);
  }

  void localRateLimits() {
    varint(snapshot_.local_rate_limits.size());
    for (const LocalRateLimit& l : snapshot_.local_rate_limits) {
      rateLimitFields(l);
      varint(l.max_keys);
    }
  }

  void globalRateLimits() {
    varint(snapshot_.global_rate_limits.size());
    for (const GlobalRateLimit& g : snapshot_.global_rate_limits) {
      rateLimitFields(g);
      flag(g.fail_closed);
    }
  }

  void policies(const Policies& p) {
    optionalU32(p.local_rate_limit);
    optionalU32(p.global_rate_limit);
    flag(p.rate_limit_overrides);
    flag(p.fault_overrides);
    flag(p.fault.has_value());
    if (!p.fault) return;
    flag(p.fault->abort.has_value());
    if (const auto& a = p.fault->abort) {
      varint(a->percentage);
      optionalU32(a->http_status);
      optionalU32(a->grpc_status);
    }
    flag(p.fault->delay.has_value());
    if (const auto& d = p.fault->delay) {
      varint(d->percentage);
      varint(d->delay_ms);
    }
  }

  void stringMatches(const std::vector<StringMatch>& list) {
    varint(list.size());
    for (const StringMatch& m : list) {
      varint(static_cast<uint64_t>(m.type));
      string(m.name);
      string(m.value);
    }
  }

  void routeTable(const RouteTable& table) {
    varint(table.rules.size());
    for (const Rule& rule : table.rules) {
      string(rule.route);
      string(rule.name);
      filters(rule.filters);
      varint(rule.backends.size());
      for (const WeightedBackend& b : rule.backends) {
        optionalU32(b.cluster);
        varint(b.weight);
        filters(b.filters);
      }
      varint(rule.total_weight);
      optionalU32(rule.request_timeout_ms);
      optionalU32(rule.backend_request_timeout_ms);
      string(rule.route_kind);
      varint(rule.index);
      flag(rule.retry.has_value());
      if (rule.retry) {
        varint(rule.retry->codes.size());
        for (uint16_t code : rule.retry->codes) varint(code);
        varint(rule.retry->attempts);
        varint(rule.retry->backoff_ms);
      }
      policies(rule.policies);
    }
    varint(table.entries.size());
    for (const RouteEntry& entry : table.entries) {
      varint(static_cast<uint64_t>(entry.match.path.type));
      string(entry.match.path.value);
      stringMatches(entry.match.headers);
      stringMatches(entry.match.query_params);
      optionalString(entry.match.method);
      varint(entry.rule);
    }
  }

  void listener(const Listener& listener, const ExactHosts& exact) {
    string(listener.gateway);
    string(listener.name);
    string(listener.hostname);
    varint(listener.certificates.size());
    for (const TlsCertificate& c : listener.certificates) {
      string(c.cert_pem);
      string(c.key_pem);
    }
    varint(exact.size());
    for (const auto& [host, table] : exact) {
      string(*host);
      tableRef(table);
    }
    varint(listener.hosts.wildcard_suffix.size());
    for (const auto& [suffix, table] : listener.hosts.wildcard_suffix) {
      string(suffix);
      tableRef(table.get());
    }
    tableRef(listener.hosts.any.get());
    varint(static_cast<uint64_t>(listener.kind));
    flag(listener.client_validation.has_value());
    if (listener.client_validation) {
      string(listener.client_validation->ca_pem);
      flag(listener.client_validation->allow_insecure_fallback);
    }
    policies(listener.policies);
    flag(listener.backend_client_certificate.has_value());
    if (const auto& c = listener.backend_client_certificate) {
      string(c->cert_pem);
      string(c->key_pem);
    }
    flag(listener.metrics.requests);
    flag(listener.metrics.per_route_labels);
  }

  const Snapshot& snapshot_;
  std::string out_;
  std::vector<const RouteTable*> tables_;
  std::unordered_map<const RouteTable*, size_t> index_;
  std::vector<ExactHosts> exact_;  // per listener, in snapshot order, sorted by host
};

// ---- decoding -------------------------------------------------------------------------------

// Errors are sticky: the first one is kept, the input is treated as exhausted from then on, so
// every later read yields zero or empty and every loop ends; the result is checked once at the end.
class Decoder {
 public:
  Decoder(std::string_view in, const DecodeLimits& limits) : in_(in), limits_(limits) {}

  Result<SnapshotPtr> run() {
    if (!in_.starts_with(kMagic)) return Error{"snapshot decode: not an encoded snapshot (no \"GHSN\" header)"};
    pos_ = kMagic.size();
    const uint64_t format = varint("format", kAnyU64);
    if (!failed() && format != kCodecFormatVersion)
      fail("format", "format version " + std::to_string(format) + " is not supported (this build reads version " +
                         std::to_string(kCodecFormatVersion) + ")");
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->version = varint("version", kAnyU64);
    clusters(snapshot->clusters);
    localRateLimits(snapshot->local_rate_limits);
    globalRateLimits(snapshot->global_rate_limits);
    routeTables();
    sockets(snapshot->sockets);
    if (!failed() && pos_ != in_.size()) {
      start_ = pos_;
      fail(nullptr, std::to_string(in_.size() - pos_) + " bytes after the end of the snapshot");
    }
    if (failed()) return Error{*error_};
    return SnapshotPtr(std::move(snapshot));
  }

 private:
  static constexpr size_t kNoIndex = std::numeric_limits<size_t>::max();
  struct Frame {
    const char* name;
    size_t index;
  };
  // Names the part being decoded, for error messages ("sockets[0].listeners[2]").
  class Scope {
   public:
    Scope(Decoder& decoder, const char* name, size_t index = kNoIndex) : decoder_(decoder) {
      decoder_.path_.push_back({name, index});
    }
    ~Scope() { decoder_.path_.pop_back(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Decoder& decoder_;
  };

  bool failed() const { return error_.has_value(); }
  size_t left() const { return in_.size() - pos_; }

  void fail(const char* field, const std::string& what) {
    if (failed()) return;
    std::string where;
    for (const Frame& f : path_) {
      if (!where.empty()) where += '.';
      where += f.name;
      if (f.index != kNoIndex) where += "[" + std::to_string(f.index) + "]";
    }
    if (field) {
      if (!where.empty()) where += '.';
      where += field;
    }
    error_ = "snapshot decode: " + (where.empty() ? std::string() : where + ": ") + what + " (at byte " +
             std::to_string(start_) + ")";
    pos_ = in_.size();
  }

  // LEB128, at most 10 bytes, no bits beyond 64.
  uint64_t varint(const char* field, uint64_t max) {
    start_ = pos_;
    uint64_t value = 0;
    for (unsigned shift = 0;; shift += 7) {
      if (pos_ == in_.size()) {
        fail(field, "truncated input");
        return 0;
      }
      const auto b = static_cast<uint8_t>(in_[pos_++]);
      if (shift == 63 && b > 1) {
        fail(field, "number exceeds 64 bits");
        return 0;
      }
      value |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    if (value > max) {
      fail(field, "value " + std::to_string(value) + " exceeds " + std::to_string(max));
      return 0;
    }
    return value;
  }

  // A number of elements that follow: each takes at least one byte, so a count beyond the bytes
  // left is a lie, and checking it bounds every allocation by the input size.
  uint64_t count(const char* field) {
    const uint64_t n = varint(field, kAnyU64);
    if (n > left()) {
      fail(field, "count " + std::to_string(n) + " exceeds the " + std::to_string(left()) + " bytes left");
      return 0;
    }
    return n;
  }

  std::string string(const char* field) {
    const uint64_t n = varint(field, kAnyU64);
    if (n > left()) {
      fail(field, "string of " + std::to_string(n) + " bytes exceeds the " + std::to_string(left()) + " bytes left");
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }

  bool flag(const char* field) {
    start_ = pos_;
    if (pos_ == in_.size()) {
      fail(field, "truncated input");
      return false;
    }
    const auto b = static_cast<uint8_t>(in_[pos_++]);
    if (b > 1) fail(field, "presence flag " + std::to_string(b) + " is neither 0 nor 1");
    return b == 1;
  }

  template <class Enum>
  Enum enumeration(const char* field, Enum last) {
    const uint64_t v = varint(field, kAnyU64);
    if (v > static_cast<uint64_t>(last)) fail(field, "unknown value " + std::to_string(v));
    return failed() ? Enum{} : static_cast<Enum>(v);
  }

  std::optional<std::string> optionalString(const char* field) {
    if (!flag(field)) return std::nullopt;
    return string(field);
  }

  void stringList(const char* field, std::vector<std::string>& out) {
    const uint64_t n = count(field);
    for (uint64_t i = 0; i < n && !failed(); ++i) out.push_back(string(field));
  }

  std::optional<uint32_t> optionalU32(const char* field) {
    if (!flag(field)) return std::nullopt;
    return static_cast<uint32_t>(varint(field, kMaxU32));
  }

  uint32_t clusterIndex(const char* field) {
    const auto index = static_cast<uint32_t>(varint(field, kMaxU32));
    if (!failed() && index >= cluster_slots_)
      fail(field, "cluster " + std::to_string(index) + " out of range (" + std::to_string(cluster_slots_) + " slots)");
    return index;
  }

  // Each distinct pattern is compiled once and shared.
  std::shared_ptr<const re2::RE2> regex(const char* field, const std::string& pattern) {
    if (failed()) return nullptr;
    if (auto it = regexes_.find(pattern); it != regexes_.end()) return it->second;
    auto re = std::make_shared<const re2::RE2>(pattern, re2::RE2::Quiet);
    if (!re->ok()) {
      const std::string shown = pattern.size() > kMaxQuotedPattern ? pattern.substr(0, kMaxQuotedPattern) + "..." : pattern;
      fail(field, "bad regular expression \"" + shown + "\": " + re->error());
      return nullptr;
    }
    regex_program_size_ += static_cast<uint64_t>(re->ProgramSize());
    if (regex_program_size_ > limits_.max_regex_program_size) {
      fail(field, "regular expressions exceed " + std::to_string(limits_.max_regex_program_size) +
                      " compiled instructions in total");
      return nullptr;
    }
    regexes_.emplace(pattern, re);
    return re;
  }

  void clusters(ClusterTable& table) {
    uint64_t slots = 0;
    uint64_t present = 0;
    {
      Scope scope(*this, "clusters");
      slots = varint("slots", limits_.max_cluster_slots);
      present = count("present");
      if (!failed() && present > slots)
        fail("present", std::to_string(present) + " clusters do not fit in " + std::to_string(slots) + " slots");
    }
    uint64_t next = 0;  // the lowest slot the next cluster may take
    for (uint64_t i = 0; i < present && !failed(); ++i) {
      uint64_t index = 0;
      {
        Scope scope(*this, "clusters");
        index = next + varint("gap", slots);
        if (!failed() && index >= slots)
          fail("gap", "slot " + std::to_string(index) + " out of range (" + std::to_string(slots) + " slots)");
      }
      Scope scope(*this, "clusters", index);
      auto cluster = std::make_shared<Cluster>();
      cluster->name = string("name");
      cluster->protocol = enumeration("protocol", UpstreamProtocol::WebSocket);
      const uint64_t endpoints = count("endpoints");
      for (uint64_t e = 0; e < endpoints && !failed(); ++e) {
        Scope endpoint(*this, "endpoints", e);
        std::string ip = string("ip");
        const auto port = static_cast<uint16_t>(varint("port", kMaxU16));
        cluster->endpoints.emplace_back(std::move(ip), port);  // parses the address again
      }
      if (flag("tls")) {
        Scope tls_scope(*this, "tls");
        UpstreamTls& tls = cluster->tls.emplace();
        tls.sni = string("sni");
        tls.ca_pem = string("caPem");
        stringList("dnsNames", tls.dns_names);
        stringList("uris", tls.uris);
        tls.usable = flag("usable");
      }
      if (failed()) return;
      table.set(static_cast<uint32_t>(index), std::move(cluster));
      next = index + 1;
    }
    if (failed()) return;
    if (table.size() < slots) table.set(static_cast<uint32_t>(slots - 1), nullptr);  // trailing empty slots
    cluster_slots_ = static_cast<uint32_t>(slots);
  }

  void headerModifier(HeaderModifier& m) {
    for (auto [field, pairs] : {std::pair{"set", &m.set}, std::pair{"add", &m.add}}) {
      const uint64_t n = count(field);
      for (uint64_t i = 0; i < n && !failed(); ++i) {
        Scope scope(*this, field, i);
        std::string name = string("name");
        pairs->emplace_back(std::move(name), string("value"));
      }
    }
    const uint64_t n = count("remove");
    for (uint64_t i = 0; i < n && !failed(); ++i) {
      Scope scope(*this, "remove", i);
      m.remove.push_back(string("name"));
    }
  }

  std::optional<PathModifier> optionalPath(const char* field) {
    if (!flag(field)) return std::nullopt;
    Scope scope(*this, field);
    PathModifier p;
    p.type = enumeration("type", PathModifier::Type::ReplacePrefixMatch);
    p.value = string("value");
    return p;
  }

  Filters filters(const char* name) {
    Filters list;
    const uint64_t n = count(name);
    for (uint64_t i = 0; i < n && !failed(); ++i) {
      Scope scope(*this, name, i);
      const uint64_t type = varint("type", kAnyU64);
      if (!failed() && type >= std::variant_size_v<Filter>) fail("type", "unknown filter type " + std::to_string(type));
      if (failed()) break;
      list.push_back(filterOfType(type, std::make_index_sequence<std::variant_size_v<Filter>>{}));
    }
    return list;
  }

  template <size_t... I>
  Filter filterOfType(uint64_t type, std::index_sequence<I...>) {
    Filter out;
    ((type == I ? (void)(out = filter(std::in_place_type<std::variant_alternative_t<I, Filter>>)) : void()), ...);
    return out;
  }

  RequestHeaderModifier filter(std::in_place_type_t<RequestHeaderModifier>) {
    RequestHeaderModifier m;
    headerModifier(m);
    return m;
  }
  ResponseHeaderModifier filter(std::in_place_type_t<ResponseHeaderModifier>) {
    ResponseHeaderModifier m;
    headerModifier(m);
    return m;
  }
  RequestRedirect filter(std::in_place_type_t<RequestRedirect>) {
    RequestRedirect r;
    r.scheme = optionalString("scheme");
    r.hostname = optionalString("hostname");
    r.path = optionalPath("path");
    if (flag("port")) r.port = static_cast<uint16_t>(varint("port", kMaxU16));
    r.status_code = static_cast<uint16_t>(varint("statusCode", kMaxU16));
    return r;
  }
  UrlRewrite filter(std::in_place_type_t<UrlRewrite>) {
    UrlRewrite r;
    r.hostname = optionalString("hostname");
    r.path = optionalPath("path");
    return r;
  }
  RequestMirror filter(std::in_place_type_t<RequestMirror>) {
    RequestMirror m;
    m.cluster = clusterIndex("cluster");
    m.numerator = static_cast<uint32_t>(varint("numerator", kMaxU32));
    m.denominator = static_cast<uint32_t>(varint("denominator", kMaxU32));
    return m;
  }
  Cors filter(std::in_place_type_t<Cors>) {
    Cors c;
    for (auto [field, list] : {std::pair{"allowOrigins", &c.allow_origins}, std::pair{"allowMethods", &c.allow_methods},
                               std::pair{"allowHeaders", &c.allow_headers},
                               std::pair{"exposeHeaders", &c.expose_headers}}) {
      const uint64_t n = count(field);
      for (uint64_t i = 0; i < n && !failed(); ++i) {
        Scope scope(*this, field, i);
        list->push_back(string("value"));
      }
    }
    c.allow_credentials = flag("allowCredentials");
    c.max_age = static_cast<uint32_t>(varint("maxAge", kMaxU32));
    return c;
  }

  Rule rule() {
    Rule r;
    r.route = string("route");
    r.name = string("name");
    r.filters = filters("filters");
    const uint64_t backends = count("backends");
    for (uint64_t i = 0; i < backends && !failed(); ++i) {
      Scope s(*this, "backends", i);
      WeightedBackend b;
      if (flag("cluster")) b.cluster = clusterIndex("cluster");
      b.weight = static_cast<uint32_t>(varint("weight", kMaxU32));
      b.filters = filters("filters");
      r.backends.push_back(std::move(b));
    }
    r.total_weight = varint("totalWeight", kAnyU64);
    r.request_timeout_ms = optionalU32("requestTimeoutMs");
    r.backend_request_timeout_ms = optionalU32("backendRequestTimeoutMs");
    r.route_kind = string("routeKind");
    r.index = static_cast<uint32_t>(varint("index", kMaxU32));
    if (flag("retry")) {
      Scope s(*this, "retry");
      RetryPolicy retry;
      const uint64_t codes = count("codes");
      for (uint64_t i = 0; i < codes && !failed(); ++i) {
        retry.codes.push_back(static_cast<uint16_t>(varint("codes", kMaxU16)));
      }
      retry.attempts = static_cast<uint32_t>(varint("attempts", kMaxU32));
      retry.backoff_ms = static_cast<uint32_t>(varint("backoffMs", kMaxU32));
      r.retry = std::move(retry);
    }
    r.policies = policies();
    return r;
  }

  // What a local and a global limit share (Encoder::rateLimitFields).
  template <class Limit>
  void rateLimitFields(Limit& l) {
    l.policy = string("policy");
    l.target = string("target");
    l.requests = static_cast<uint32_t>(varint("requests", kMaxU32));
    l.window_ms = varint("windowMs", kAnyU64);
    l.key = enumeration("key", LocalRateLimit::Key::Header);
    l.header = string("header");
  }

  void localRateLimits(std::vector<LocalRateLimit>& out) {
    const uint64_t n = count("localRateLimits");
    for (uint64_t i = 0; i < n && !failed(); ++i) {
      Scope s(*this, "localRateLimits", i);
      LocalRateLimit& l = out.emplace_back();
      rateLimitFields(l);
      l.max_keys = static_cast<uint32_t>(varint("maxKeys", kMaxU32));
      if (!failed() && (l.requests == 0 || l.window_ms == 0 || l.max_keys == 0))
        fail("requests", "a local rate limit needs requests, windowMs and maxKeys above 0");
    }
    local_rate_limits_ = n;
  }

  void globalRateLimits(std::vector<GlobalRateLimit>& out) {
    const uint64_t n = count("globalRateLimits");
    for (uint64_t i = 0; i < n && !failed(); ++i) {
      Scope s(*this, "globalRateLimits", i);
      GlobalRateLimit& g = out.emplace_back();
      rateLimitFields(g);
      g.fail_closed = flag("failClosed");
      if (!failed() && (g.requests == 0 || g.window_ms == 0))
        fail("requests", "a global rate limit needs requests and windowMs above 0");
    }
    global_rate_limits_ = n;
  }

  // An optional index into a table of `size` entries.
  std::optional<uint32_t> tableIndex(const char* field, const std::string& what, uint64_t size) {
    std::optional<uint32_t> index = optionalU32(field);
    if (!failed() && index && *index >= size)
      fail(field, what + " " + std::to_string(*index) + " out of range (" + std::to_string(size) + ")");
    return index;
  }

  Policies policies() {
    Scope s(*this, "policies");
    Policies p;
    p.local_rate_limit = tableIndex("localRateLimit", "local rate limit", local_rate_limits_);
    p.global_rate_limit = tableIndex("globalRateLimit", "global rate limit", global_rate_limits_);
    p.rate_limit_overrides = flag("rateLimitOverrides");
    p.fault_overrides = flag("faultOverrides");
    if (!flag("fault")) return p;
    FaultInjection& fault = p.fault.emplace();
    if (flag("abort")) {
      FaultInjection::Abort& a = fault.abort.emplace();
      a.percentage = static_cast<uint32_t>(varint("percentage", 100));
      if (flag("httpStatus")) a.http_status = static_cast<uint16_t>(varint("httpStatus", 599));
      if (flag("grpcStatus")) a.grpc_status = static_cast<uint8_t>(varint("grpcStatus", 16));
    }
    if (flag("delay")) {
      FaultInjection::Delay& d = fault.delay.emplace();
      d.percentage = static_cast<uint32_t>(varint("percentage", 100));
      d.delay_ms = static_cast<uint32_t>(varint("delayMs", kMaxU32));
    }
    return p;
  }

  void stringMatches(const char* field, std::vector<StringMatch>& into) {
    const uint64_t n = count(field);
    for (uint64_t i = 0; i < n && !failed(); ++i) {
      Scope s(*this, field, i);
      StringMatch m;
      m.type = enumeration("type", StringMatch::Type::RegularExpression);
      m.name = string("name");
      m.value = string("value");
      if (m.type == StringMatch::Type::RegularExpression) m.regex = regex("value", m.value);
      into.push_back(std::move(m));
    }
  }

  RouteMatch match() {
    RouteMatch m;
    {
      Scope s(*this, "path");
      m.path.type = enumeration("type", PathMatch::Type::RegularExpression);
      m.path.value = string("value");
      if (m.path.type == PathMatch::Type::RegularExpression) m.path.regex = regex("value", m.path.value);
    }
    stringMatches("headers", m.headers);
    stringMatches("queryParams", m.query_params);
    m.method = optionalString("method");
    return m;
  }

  void routeTables() {
    const uint64_t n = count("routeTables");
    for (uint64_t t = 0; t < n && !failed(); ++t) {
      Scope scope(*this, "routeTables", t);
      auto table = std::make_shared<RouteTable>();
      const uint64_t rules = count("rules");
      for (uint64_t i = 0; i < rules && !failed(); ++i) {
        Scope s(*this, "rules", i);
        table->rules.push_back(rule());
      }
      const uint64_t entries = count("entries");
      for (uint64_t i = 0; i < entries && !failed(); ++i) {
        Scope s(*this, "entries", i);
        RouteEntry e;
        e.match = match();
        e.rule = static_cast<uint32_t>(varint("rule", kMaxU32));
        if (!failed() && e.rule >= table->rules.size())
          fail("rule", "rule " + std::to_string(e.rule) + " out of range (" + std::to_string(table->rules.size()) +
                           " rules)");
        table->entries.push_back(std::move(e));
      }
      tables_.push_back(std::move(table));
    }
  }

  RouteTablePtr tableRef(const char* field) {
    const uint64_t ref = varint(field, kAnyU64);
    if (ref > tables_.size()) {
      fail(field, "route table " + std::to_string(ref - 1) + " out of range (" + std::to_string(tables_.size()) +
                      " tables)");
      return nullptr;
    }
    return ref == 0 ? nullptr : tables_[ref - 1];
  }

  void hosts(HostTable& hosts) {
    const uint64_t exact = count("exactHosts");
    for (uint64_t i = 0; i < exact && !failed(); ++i) {
      Scope s(*this, "exactHosts", i);
      const size_t host_at = pos_;
      std::string host = string("host");
      RouteTablePtr table = tableRef("table");
      if (failed()) return;
      if (!table) return fail("table", "exact host \"" + host + "\" has no route table");
      if (hosts.exact(host)) {
        start_ = host_at;
        return fail("host", "duplicate exact host \"" + host + "\"");
      }
      hosts.setExact(host, std::move(table));
    }
    const uint64_t wildcards = count("wildcardHosts");
    for (uint64_t i = 0; i < wildcards && !failed(); ++i) {
      Scope s(*this, "wildcardHosts", i);
      std::string suffix = string("suffix");
      RouteTablePtr table = tableRef("table");
      if (failed()) return;
      if (!table) return fail("table", "wildcard host \"*" + suffix + "\" has no route table");
      hosts.wildcard_suffix.emplace_back(std::move(suffix), std::move(table));
    }
    hosts.any = tableRef("anyHost");
  }

  void sockets(std::vector<Socket>& out) {
    const uint64_t n = count("sockets");
    for (uint64_t i = 0; i < n && !failed(); ++i) {
      Scope scope(*this, "sockets", i);
      Socket& socket = out.emplace_back();
      socket.address = string("address");
      socket.port = static_cast<uint16_t>(varint("port", kMaxU16));
      socket.transport = enumeration("transport", Transport::Udp);
      socket.kind = enumeration("kind", ListenerKind::SniDispatch);
      const uint64_t listeners = count("listeners");
      for (uint64_t l = 0; l < listeners && !failed(); ++l) {
        Scope s(*this, "listeners", l);
        Listener& listener = socket.listeners.emplace_back();
        listener.gateway = string("gateway");
        listener.name = string("name");
        listener.hostname = string("hostname");
        const uint64_t certs = count("certificates");
        for (uint64_t c = 0; c < certs && !failed(); ++c) {
          Scope cs(*this, "certificates", c);
          TlsCertificate& cert = listener.certificates.emplace_back();
          cert.cert_pem = string("cert");
          cert.key_pem = string("key");
        }
        hosts(listener.hosts);
        listener.kind = enumeration("kind", ListenerKind::SniDispatch);
        if (flag("clientValidation")) {
          ClientValidation& v = listener.client_validation.emplace();
          v.ca_pem = string("caPem");
          v.allow_insecure_fallback = flag("allowInsecureFallback");
        }
        listener.policies = policies();
        if (flag("backendClientCertificate")) {
          TlsCertificate& cert = listener.backend_client_certificate.emplace();
          cert.cert_pem = string("cert");
          cert.key_pem = string("key");
        }
        listener.metrics.requests = flag("requestMetrics");
        listener.metrics.per_route_labels = flag("perRouteLabels");
      }
    }
  }

  std::string_view in_;
  const DecodeLimits limits_;
  size_t pos_ = 0;
  size_t start_ = 0;  // where the value being read began, for error messages
  std::optional<std::string> error_;
  std::vector<Frame> path_;
  uint32_t cluster_slots_ = 0;
  uint64_t local_rate_limits_ = 0;
  uint64_t global_rate_limits_ = 0;
  std::vector<RouteTablePtr> tables_;
  std::unordered_map<std::string, std::shared_ptr<const re2::RE2>> regexes_;
  uint64_t regex_program_size_ = 0;
};

// ---- per-Gateway view -----------------------------------------------------------------------

void markClusters(const Filters& filters, std::vector<bool>& used) {
  for (const Filter& filter : filters)
    if (const auto* m = std::get_if<RequestMirror>(&filter); m && m->cluster < used.size()) used[m->cluster] = true;
}

void markClusters(const RouteTable& table, std::vector<bool>& used) {
  for (const Rule& rule : table.rules) {
    markClusters(rule.filters, used);
    for (const WeightedBackend& b : rule.backends) {
      if (b.cluster && *b.cluster < used.size()) used[*b.cluster] = true;
      markClusters(b.filters, used);
    }
  }
}

}  // namespace

std::string encode(const Snapshot& snapshot) { return Encoder(snapshot).run(); }

Result<SnapshotPtr> decode(std::string_view bytes, const DecodeLimits& limits) {
  try {
    return Decoder(bytes, limits).run();
  } catch (const std::exception& e) {  // allocation failure: every other check returns an Error
    return Error{std::string("snapshot decode: ") + e.what()};
  }
}

Snapshot forGateway(const Snapshot& snapshot, std::string_view gateway) {
  Snapshot out;
  out.version = snapshot.version;
  std::vector<bool> used(snapshot.clusters.size());
  std::unordered_set<const RouteTable*> seen;
  auto mark = [&](const RouteTablePtr& table) {
    if (table && seen.insert(table.get()).second) markClusters(*table, used);
  };
  for (const Socket& socket : snapshot.sockets) {
    Socket kept{socket.address, socket.port, socket.transport, socket.kind, {}};
    for (const Listener& listener : socket.listeners) {
      if (listener.gateway != gateway) continue;
      kept.listeners.push_back(listener);  // host shards and route tables are shared, not copied
      listener.hosts.forEachExact([&](const std::string&, const RouteTablePtr& table) { mark(table); });
      for (const auto& [suffix, table] : listener.hosts.wildcard_suffix) mark(table);
      mark(listener.hosts.any);
    }
    if (!kept.listeners.empty()) out.sockets.push_back(std::move(kept));
  }
  out.local_rate_limits = snapshot.local_rate_limits;  // indices kept, like cluster slots
  out.global_rate_limits = snapshot.global_rate_limits;
  out.clusters = snapshot.clusters;  // chunks shared; emptying a slot copies its chunk once
  for (uint32_t i = 0; i < used.size(); ++i)
    if (!used[i] && out.clusters.get(i)) out.clusters.set(i, nullptr);
  return out;
}

}  // namespace gatehouse::snapshot
