#include "dataplane/tls/upstream_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <mutex>
#include <unordered_map>

#include "dataplane/tls/openssl_error.h"

namespace gatehouse::dataplane::tls {
namespace {

int contextIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Every certificate of the PEM bundle into the context's trust store; how many were added.
int addTrustAnchors(SSL_CTX* ctx, const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(store, cert) == 1) ++added;
    X509_free(cert);
  }
  ERR_clear_error();  // the loop ends on "no start line"
  BIO_free(bio);
  return added;
}

constexpr unsigned int kHostFlags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;

}  // namespace

// The last session per endpoint (and ALPN), each holding a reference. Workers share a context:
// behind a lock, taken once per new connection and per session the server sends. Owned by the
// SSL_CTX, whose last reference may be a pooled connection's after the context is gone: a TLS 1.3
// ticket can come on it at any time.
struct UpstreamContext::SessionCache {
  static constexpr size_t kMaxSessions = 4096;
  std::mutex mu;
  std::unordered_map<std::string, SSL_SESSION*> sessions;
  ~SessionCache() {
    for (auto& [key, session] : sessions) SSL_SESSION_free(session);
  }
};

namespace {

void freeSessionCache(void* /*parent*/, void* cache, CRYPTO_EX_DATA* /*data*/, int /*index*/, long /*argl*/,
                      void* /*argp*/) {
  delete static_cast<UpstreamContext::SessionCache*>(cache);
}

int sessionCacheIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, freeSessionCache);
  return index;
}

// The session cache key of an SSL (a std::string it owns), for newSessionCallback.
void freeSessionKey(void* /*parent*/, void* key, CRYPTO_EX_DATA* /*data*/, int /*index*/, long /*argl*/, void* /*argp*/) {
  delete static_cast<std::string*>(key);
}

int sessionKeyIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, freeSessionKey);
  return index;
}

}  // namespace

Result<std::shared_ptr<const UpstreamContext>> UpstreamContext::create(const snapshot::UpstreamTls& tls,
                                                                       const ClientCertificate* client) {
  if (!tls.usable) return Error{"the BackendTLSPolicy has no usable CA certificate"};
  std::shared_ptr<UpstreamContext> out(new UpstreamContext());
  out->ctx_ = SSL_CTX_new(TLS_client_method());
  if (out->ctx_ == nullptr) return Error{opensslError("SSL_CTX_new")};
  SSL_CTX* ctx = out->ctx_;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // A pooled connection may outlive this object: no handshake (and no verifyCallback) after the
  // first, so a server's TLS 1.2 renegotiation request is refused.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_read_ahead(ctx, 1);
  if (tls.ca_pem.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) return Error{opensslError("system trust store")};
  } else if (addTrustAnchors(ctx, tls.ca_pem) == 0) {
    return Error{"CA bundle: no PEM certificate found"};
  }
  if (client != nullptr && !client->installInto(ctx)) return Error{opensslError("client certificate")};
  SSL_CTX_set_ex_data(ctx, contextIndex(), out.get());
  // Sessions (TLS 1.3 tickets arrive after the handshake) go to newSessionCallback, per endpoint.
  out->sessions_ = new SessionCache();
  SSL_CTX_set_ex_data(ctx, sessionCacheIndex(), out->sessions_);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, newSessionCallback);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, tls.dns_names.empty() && tls.uris.empty() ? nullptr : verifyCallback);
  static std::atomic<uint64_t> next_id{1};
  out->id_ = next_id.fetch_add(1, std::memory_order_relaxed);
  out->sni_ = tls.sni;
  out->dns_names_ = tls.dns_names;
  out->uris_ = tls.uris;
  return std::shared_ptr<const UpstreamContext>(std::move(out));
}

UpstreamContext::~UpstreamContext() {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

int UpstreamContext::newSessionCallback(SSL* ssl, SSL_SESSION* session) {
  auto* cache = static_cast<SessionCache*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), sessionCacheIndex()));
  const auto* key = static_cast<const std::string*>(SSL_get_ex_data(ssl, sessionKeyIndex()));
  if (cache == nullptr || key == nullptr) return 0;
  std::lock_guard lock(cache->mu);
  auto it = cache->sessions.find(*key);
  if (it == cache->sessions.end()) {
    if (cache->sessions.size() >= SessionCache::kMaxSessions) return 0;
    cache->sessions.emplace(*key, session);
  } else {
    SSL_SESSION_free(it->second);
    it->second = session;
  }
  return 1;  // the reference is the cache's now
}

SSL* UpstreamContext::newSsl(Alpn alpn, std::string_view endpoint) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  if (!endpoint.empty()) {
    auto* key = new std::string(endpoint);
    if (alpn == Alpn::H2) key->append("/h2");
    SSL_set_ex_data(ssl, sessionKeyIndex(), key);
    std::lock_guard lock(sessions_->mu);
    if (auto it = sessions_->sessions.find(*key); it != sessions_->sessions.end() && SSL_SESSION_is_resumable(it->second))
      SSL_set_session(ssl, it->second);
  }
  if (!sni_.empty()) SSL_set_tlsext_host_name(ssl, sni_.c_str());
  if (dns_names_.empty() && uris_.empty()) {
    // The hostname authenticates the backend (OpenSSL checks it against the SANs, the subject's
    // CN only when the certificate has no DNS SAN).
    SSL_set_hostflags(ssl, kHostFlags);
    SSL_set1_host(ssl, sni_.c_str());
  }
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  static const unsigned char kH2[] = {2, 'h', '2'};
  if (alpn == Alpn::H2) {
    SSL_set_alpn_protos(ssl, kH2, sizeof kH2);
  } else if (alpn == Alpn::Http11) {
    SSL_set_alpn_protos(ssl, kHttp11, sizeof kHttp11);
  }
  return ssl;
}

// With subjectAltNames: the chain verified so far (`preverified`), the leaf must carry one of them.
int UpstreamContext::verifyCallback(int preverified, X509_STORE_CTX* store) {
  if (preverified != 1 || X509_STORE_CTX_get_error_depth(store) != 0) return preverified;
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  const void* self = ssl == nullptr ? nullptr : SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), contextIndex());
  if (self != nullptr &&
      static_cast<const UpstreamContext*>(self)->matchesSubjectAltNames(X509_STORE_CTX_get_current_cert(store))) {
    return 1;
  }
  X509_STORE_CTX_set_error(store, X509_V_ERR_HOSTNAME_MISMATCH);
  return 0;
}

bool UpstreamContext::matchesSubjectAltNames(X509* leaf) const {
  if (leaf == nullptr) return false;
  constexpr unsigned int kSanFlags = kHostFlags | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
  for (const std::string& name : dns_names_) {
    if (X509_check_host(leaf, name.data(), name.size(), kSanFlags, nullptr) == 1) return true;
  }
  if (uris_.empty()) return false;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
  bool found = false;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names) && !found; ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI) continue;
    const std::string_view uri(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.uniformResourceIdentifier)),
                               static_cast<size_t>(ASN1_STRING_length(name->d.uniformResourceIdentifier)));
    for (const std::string& wanted : uris_) found = found || uri == wanted;
  }
  GENERAL_NAMES_free(names);
  return found;
}

Result<UpstreamContextPtr> UpstreamContextCache::get(const snapshot::UpstreamTls& tls, const ClientCertificate* client) {
  std::string key;
  key.reserve(tls.sni.size() + tls.ca_pem.size() + 64);
  key.append(tls.sni).push_back('\0');
  key.append(tls.ca_pem).push_back('\0');
  for (const std::string& name : tls.dns_names) key.append("dns:").append(name).push_back('\0');
  for (const std::string& uri : tls.uris) key.append("uri:").append(uri).push_back('\0');
  if (client != nullptr) key.append("client:").append(client->digest());
  auto& slot = by_settings_[key];
  if (auto existing = slot.lock()) return existing;
  auto built = UpstreamContext::create(tls, client);
  if (!built) {
    by_settings_.erase(key);
    return built.error();
  }
  ++builds_;
  slot = built.value();
  return built.value();
}

void UpstreamContextCache::prune() {
  std::erase_if(by_settings_, [](const auto& entry) { return entry.second.expired(); });
}

}  // namespace gatehouse::dataplane::tls
