#include "dataplane/tls/client_verifier.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace gatehouse::dataplane::tls {
namespace {

int verifierIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

ClientVerifier::~ClientVerifier() {
  sk_X509_pop_free(anchors_, X509_free);
  sk_X509_NAME_pop_free(names_, X509_NAME_free);
}

Result<ClientVerifierPtr> ClientVerifier::create(const snapshot::ClientValidation& validation) {
  std::shared_ptr<ClientVerifier> verifier(new ClientVerifier());
  verifier->anchors_ = sk_X509_new_null();
  verifier->names_ = sk_X509_NAME_new_null();
  verifier->allow_insecure_fallback_ = validation.allow_insecure_fallback;
  BIO* bio = BIO_new_mem_buf(validation.ca_pem.data(), static_cast<int>(validation.ca_pem.size()));
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    sk_X509_push(verifier->anchors_, cert);
    if (X509_NAME* name = X509_NAME_dup(X509_get_subject_name(cert))) sk_X509_NAME_push(verifier->names_, name);
  }
  BIO_free(bio);
  ERR_clear_error();  // the loop ends on "no start line"
  if (sk_X509_num(verifier->anchors_) == 0) return Error{"client validation: no PEM CA certificate"};

  // The session id context: SHA-256 of the mode and the bundle (32 bytes, OpenSSL's maximum).
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
  const char mode = validation.allow_insecure_fallback ? 'f' : 'v';
  EVP_DigestUpdate(md, &mode, 1);
  EVP_DigestUpdate(md, validation.ca_pem.data(), validation.ca_pem.size());
  unsigned int length = 0;
  EVP_DigestFinal_ex(md, verifier->session_context_, &length);
  EVP_MD_CTX_free(md);
  return ClientVerifierPtr(std::move(verifier));
}

void ClientVerifier::apply(SSL* ssl) const {
  SSL_set_ex_data(ssl, verifierIndex(), const_cast<ClientVerifier*>(this));
  SSL_set_verify(ssl, allow_insecure_fallback_ ? SSL_VERIFY_PEER : SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                 nullptr);
  SSL_set_session_id_context(ssl, session_context_, sizeof session_context_);
  SSL_set_client_CA_list(ssl, SSL_dup_CA_list(names_));
}

int ClientVerifier::verifyCallback(X509_STORE_CTX* store, void* /*arg*/) {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  const auto* verifier = ssl ? static_cast<const ClientVerifier*>(SSL_get_ex_data(ssl, verifierIndex())) : nullptr;
  if (verifier == nullptr) {
    // No validation configured: OpenSSL asks only when a verify mode is set, so this is not reached.
    X509_STORE_CTX_set_error(store, X509_V_ERR_UNSPECIFIED);
    return 0;
  }
  // The anchors replace the SSL_CTX's (empty) store: only this socket's CAs are trusted.
  X509_STORE_CTX_set0_trusted_stack(store, verifier->anchors_);
  const int ok = X509_verify_cert(store);
  return verifier->allow_insecure_fallback_ || ok > 0 ? 1 : 0;
}

}  // namespace gatehouse::dataplane::tls
