#include "dataplane/tls/client_certificate.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dataplane/tls/certificate_digest.h"
#include "dataplane/tls/openssl_error.h"

namespace gatehouse::dataplane::tls {

ClientCertificate::~ClientCertificate() {
  X509_free(leaf_);
  sk_X509_pop_free(chain_, X509_free);
  EVP_PKEY_free(key_);
}

Result<ClientCertificatePtr> ClientCertificate::load(const snapshot::TlsCertificate& pem) {
  std::shared_ptr<ClientCertificate> out(new ClientCertificate());
  BIO* bio = BIO_new_mem_buf(pem.cert_pem.data(), static_cast<int>(pem.cert_pem.size()));
  out->leaf_ = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  out->chain_ = sk_X509_new_null();
  if (out->leaf_ != nullptr)
    while (X509* extra = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) sk_X509_push(out->chain_, extra);
  BIO_free(bio);
  ERR_clear_error();  // the loop ends on "no start line"
  if (out->leaf_ == nullptr) return Error{"client certificate: no PEM certificate"};
  bio = BIO_new_mem_buf(pem.key_pem.data(), static_cast<int>(pem.key_pem.size()));
  out->key_ = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (out->key_ == nullptr) return Error{opensslError("client certificate: private key")};
  if (X509_check_private_key(out->leaf_, out->key_) != 1)
    return Error{opensslError("client certificate: the key does not match the certificate")};
  out->digest_ = certificateDigest(pem);
  return ClientCertificatePtr(std::move(out));
}

bool ClientCertificate::installInto(SSL_CTX* ctx) const {
  // Takes its own references: the context may outlive this object.
  return SSL_CTX_use_cert_and_key(ctx, leaf_, key_, chain_, 1) == 1;
}

}  // namespace gatehouse::dataplane::tls
