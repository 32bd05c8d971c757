#include "dataplane/policies/global_rate_limiter.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <tuple>

#include "dataplane/policies/redis/redis_client.h"

namespace gatehouse::dataplane::policies {

namespace {

using redis::RedisReply;
using redis::RespValue;

constexpr size_t kMaxPlainKey = 64;

// KEYS[1]: the bucket; ARGV[1]: requests; ARGV[2]: the window in milliseconds. The bucket is GCRA
// as in local_rate_limiter.h, in microseconds of Redis's clock. Returns {allowed (1 or 0),
// remaining, reset, retry_after}, the last two in microseconds. Before Redis 5 a script that
// reads TIME may write only with effects replication, which replicate_commands turns on.
constexpr const char* kScript = R"lua(
if redis.replicate_commands then redis.replicate_commands() end
local requests = tonumber(ARGV[1])
local interval = tonumber(ARGV[2]) * 1000 / requests
local tolerance = interval * requests
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = now
local stored = redis.call('GET', KEYS[1])
if stored then tat = math.max(tonumber(stored) or now, now) end
local next_tat = tat + interval
local ahead = next_tat - now
if ahead > tolerance then
  return {0, 0, math.ceil(tat - now), math.ceil(ahead - tolerance)}
end
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.max(1, math.ceil(ahead / 1000)))
return {1, math.floor((tolerance - ahead) / interval), math.ceil(ahead), 0}
)lua";

std::string hexDigest(const EVP_MD* md, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, md, nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

bool plain(std::string_view value) {
  return value.size() <= kMaxPlainKey &&
         std::all_of(value.begin(), value.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
}

bool isInteger(const RespValue& v) { return v.type == RespValue::Type::Integer && v.integer >= 0; }

// The script's answer, or Failed for anything else (an error reply included).
GlobalRateLimiter::Decision decisionOf(const RedisReply& reply, const std::string& policy) {
  GlobalRateLimiter::Decision d;
  const RespValue& v = reply.value;
  if (reply.result != RedisReply::Result::Ok) return d;
  if (v.type != RespValue::Type::Array || v.elements.size() != 4 ||
      !std::all_of(v.elements.begin(), v.elements.end(), isInteger)) {
    spdlog::debug("global rate limit {}: unexpected reply from Redis{}{}", policy, v.isError() ? ": " : "", v.text);
    return d;
  }
  d.outcome = v.elements[0].integer == 1 ? GlobalRateLimiter::Decision::Outcome::Allowed
                                         : GlobalRateLimiter::Decision::Outcome::Limited;
  d.remaining = static_cast<uint32_t>(std::min<int64_t>(v.elements[1].integer, UINT32_MAX));
  d.reset = std::chrono::microseconds(v.elements[2].integer);
  d.retry_after = std::chrono::microseconds(v.elements[3].integer);
  return d;
}

// EVALSHA sha / EVAL script, with the bucket and the limit. Not in the coroutine: GCC 12 cannot
// initialise a list from string literals inside one ("array used as initializer").
std::string scriptCall(std::string_view verb, std::string_view script, const std::string& bucket,
                       const snapshot::GlobalRateLimit& limit) {
  const std::string requests = std::to_string(limit.requests);
  const std::string window = std::to_string(limit.window_ms);
  return redis::encodeCommand({verb, script, "1", bucket, requests, window});
}

}  // namespace

const std::string& globalRateLimitScript() {
  static const std::string script = kScript;
  return script;
}

const std::string& globalRateLimitScriptSha() {
  static const std::string sha = hexDigest(EVP_sha1(), globalRateLimitScript());
  return sha;
}

GlobalRateLimiter::GlobalRateLimiter(snapshot::GlobalRateLimit config)
    : config_(std::move(config)),
      key_prefix_("gatehouse:rl:" + config_.policy + ":" + config_.target + ":" + std::to_string(config_.requests) +
                  "/" + std::to_string(config_.window_ms)) {}

std::string GlobalRateLimiter::redisKey(std::string_view key) const {
  if (config_.key == snapshot::GlobalRateLimit::Key::Target) return key_prefix_;
  if (plain(key)) return key_prefix_ + ":v:" + std::string(key);
  return key_prefix_ + ":h:" + hexDigest(EVP_sha256(), key);
}

boost::asio::awaitable<GlobalRateLimiter::Decision> GlobalRateLimiter::acquire(redis::RedisClient* redis,
                                                                               std::string_view key) {
  Decision d;
  if (redis != nullptr) {
    const std::string bucket = redisKey(key);
    RedisReply reply = co_await redis->call(scriptCall("EVALSHA", globalRateLimitScriptSha(), bucket, config_));
    if (reply.result == RedisReply::Result::Ok && reply.value.isError() && reply.value.text.starts_with("NOSCRIPT"))
      reply = co_await redis->call(scriptCall("EVAL", globalRateLimitScript(), bucket, config_));
    d = decisionOf(reply, config_.policy);
  }
  switch (d.outcome) {
    case Decision::Outcome::Allowed: allowed_.fetch_add(1, std::memory_order_relaxed); break;
    case Decision::Outcome::Limited: limited_.fetch_add(1, std::memory_order_relaxed); break;
    case Decision::Outcome::Failed: failed_.fetch_add(1, std::memory_order_relaxed); break;
  }
  co_return d;
}

std::string GlobalRateLimiter::identity(const snapshot::GlobalRateLimit& c) {
  return c.policy + '\n' + c.target + '\n' + std::to_string(c.requests) + '\n' + std::to_string(c.window_ms) + '\n' +
         std::to_string(static_cast<int>(c.key)) + '\n' + c.header + '\n' + (c.fail_closed ? "closed" : "open");
}

GlobalRateLimiter::Counts GlobalRateLimiter::counts() const {
  Counts c;
  c.allowed = allowed_.load(std::memory_order_relaxed);
  c.limited = limited_.load(std::memory_order_relaxed);
  (config_.fail_closed ? c.failed_closed : c.failed_open) = failed_.load(std::memory_order_relaxed);
  return c;
}

}  // namespace gatehouse::dataplane::policies
