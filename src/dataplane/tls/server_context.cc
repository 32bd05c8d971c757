#include "dataplane/tls/server_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>

#include "dataplane/tls/certificate_digest.h"
#include "dataplane/tls/openssl_error.h"

namespace gatehouse::dataplane::tls {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int socketTlsIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Set (to any non-null value) on the SSL of a TLS Terminate connection: no ALPN.
int streamIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int onServerName(SSL* ssl, int* /*alert*/, void* /*arg*/) {
  auto* socket_tls = static_cast<const SocketTls*>(SSL_get_ex_data(ssl, socketTlsIndex()));
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (socket_tls == nullptr || name == nullptr) return SSL_TLSEXT_ERR_OK;
  SSL_CTX* chosen = socket_tls->select(name).native();
  if (chosen != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, chosen);
  return SSL_TLSEXT_ERR_OK;
}

// Server preference: h2 when the client offers it, else http/1.1; none for a byte stream.
int onAlpn(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
           void* /*arg*/) {
  if (SSL_get_ex_data(ssl, streamIndex()) != nullptr) return SSL_TLSEXT_ERR_NOACK;
  static const unsigned char kOurs[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kOurs, sizeof kOurs, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;  // the client offered neither: continue without ALPN (HTTP/1.1)
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

ServerContext::~ServerContext() { SSL_CTX_free(ctx_); }

Result<ServerContextPtr> ServerContext::create(const snapshot::TlsCertificate& certificate) {
  std::shared_ptr<ServerContext> context(new ServerContext());
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Error{opensslError("SSL_CTX_new")};
  context->ctx_ = ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // OpenSSL reads the socket itself (tls::Stream): without read-ahead every record costs two
  // recv calls (header, then body). Stream::hasPending() sees read-ahead bytes.
  SSL_CTX_set_read_ahead(ctx, 1);
  static const unsigned char kSessionContext[] = "gatehouse";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_tlsext_servername_callback(ctx, onServerName);
  SSL_CTX_set_alpn_select_cb(ctx, onAlpn, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx, ClientVerifier::verifyCallback, nullptr);

  BIO* bio = BIO_new_mem_buf(certificate.cert_pem.data(), static_cast<int>(certificate.cert_pem.size()));
  X509* leaf = PEM_read_bio_X509_AUX(bio, nullptr, nullptr, nullptr);
  if (leaf == nullptr) {
    BIO_free(bio);
    return Error{opensslError("certificate: no PEM certificate found")};
  }
  bool ok = SSL_CTX_use_certificate(ctx, leaf) == 1;
  while (ok) {
    X509* extra = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    if (extra == nullptr) break;
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      ok = false;
    }
  }
  ERR_clear_error();  // the loop ends on "no start line"
  BIO_free(bio);
  if (!ok) {
    X509_free(leaf);
    return Error{opensslError("certificate: cannot use chain")};
  }

  if (auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr))) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
      if (name->type != GEN_DNS) continue;
      const ASN1_STRING* dns = name->d.dNSName;
      context->dns_names_.push_back(
          lower(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)), ASN1_STRING_length(dns))));
    }
    GENERAL_NAMES_free(names);
  }
  X509_free(leaf);

  bio = BIO_new_mem_buf(certificate.key_pem.data(), static_cast<int>(certificate.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return Error{opensslError("private key: no PEM key found")};
  ok = SSL_CTX_use_PrivateKey(ctx, key) == 1;
  EVP_PKEY_free(key);
  if (!ok) return Error{opensslError("private key")};
  if (SSL_CTX_check_private_key(ctx) != 1) return Error{opensslError("private key does not match the certificate")};
  return ServerContextPtr(std::move(context));
}

Result<ServerContextPtr> ContextCache::get(const snapshot::TlsCertificate& certificate) {
  std::string key = certificateDigest(certificate);
  auto it = by_content_.find(key);
  if (it != by_content_.end()) {
    if (auto live = it->second.lock()) return live;
  }
  auto created = ServerContext::create(certificate);
  if (!created) return created.error();
  ++builds_;
  by_content_[key] = created.value();
  // Drop entries whose contexts no generation holds any more.
  for (auto e = by_content_.begin(); e != by_content_.end();) {
    e = e->second.expired() ? by_content_.erase(e) : std::next(e);
  }
  return created.value();
}

Result<std::shared_ptr<const SocketTls>> SocketTls::build(const snapshot::Socket& socket, ContextCache& cache,
                                                          std::vector<std::string>* errors) {
  auto tls = std::make_shared<SocketTls>();
  for (const snapshot::Listener& listener : socket.listeners) {
    if (listener.client_validation && !tls->verifier_) {
      auto verifier = ClientVerifier::create(*listener.client_validation);
      if (!verifier) return Error{"socket " + socket.identity() + ": " + verifier.error().message};
      tls->verifier_ = verifier.value();
    }
    for (const snapshot::TlsCertificate& certificate : listener.certificates) {
      auto context = cache.get(certificate);
      if (!context) {
        if (errors != nullptr) errors->push_back(listener.gateway + "/" + listener.name + ": " + context.error().message);
        continue;
      }
      const ServerContextPtr& ctx = context.value();
      if (!tls->default_) tls->default_ = ctx;
      tls->all_.push_back(ctx);
      auto addName = [&](std::string name) {
        if (name.empty()) return;
        if (name.size() > 2 && name[0] == '*' && name[1] == '.') {
          std::string suffix = name.substr(1);
          bool known = std::any_of(tls->wildcard_.begin(), tls->wildcard_.end(),
                                   [&](const auto& entry) { return entry.first == suffix; });
          if (!known) tls->wildcard_.emplace_back(std::move(suffix), ctx);
        } else {
          tls->exact_.emplace(std::move(name), ctx);  // first listener/certificate wins
        }
      };
      for (const std::string& name : ctx->dnsNames()) addName(name);
      addName(lower(listener.hostname));
    }
  }
  if (!tls->default_) return Error{"socket " + socket.identity() + ": no usable TLS certificate"};
  std::stable_sort(tls->wildcard_.begin(), tls->wildcard_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  return std::shared_ptr<const SocketTls>(std::move(tls));
}

const ServerContext& SocketTls::select(std::string_view server_name) const {
  if (server_name.empty()) return *default_;
  std::string name = lower(server_name);
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (auto it = exact_.find(name); it != exact_.end()) return *it->second;
  for (const auto& [suffix, ctx] : wildcard_) {
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return *ctx;
    }
  }
  return *default_;
}

std::string_view serverName(const SSL* ssl) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  return name != nullptr ? std::string_view(name) : std::string_view();
}

std::string_view alpnProtocol(const SSL* ssl) {
  const unsigned char* data = nullptr;
  unsigned int size = 0;
  SSL_get0_alpn_selected(ssl, &data, &size);
  return data != nullptr ? std::string_view(reinterpret_cast<const char*>(data), size) : std::string_view();
}

SSL* SocketTls::newSsl(Application application) const {
  SSL* ssl = SSL_new(default_->native());
  if (ssl == nullptr) return nullptr;
  SSL_set_ex_data(ssl, socketTlsIndex(), const_cast<SocketTls*>(this));
  if (verifier_) verifier_->apply(ssl);
  if (application == Application::Stream) {
    SSL_set_ex_data(ssl, streamIndex(), ssl);
    // A FIN without close_notify ends the client's direction only, as a FIN does on plain TCP
    // (half-close); OpenSSL 3 would otherwise fail the session and the backend's reply is lost.
    SSL_set_options(ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
  }
  return ssl;
}

}  // namespace gatehouse::dataplane::tls
