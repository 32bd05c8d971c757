#include "dataplane/tls/certificate_digest.h"

#include <openssl/evp.h>

namespace gatehouse::dataplane::tls {

std::string certificateDigest(const snapshot::TlsCertificate& certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
  EVP_DigestUpdate(md, certificate.cert_pem.data(), certificate.cert_pem.size());
  EVP_DigestUpdate(md, "\0", 1);
  EVP_DigestUpdate(md, certificate.key_pem.data(), certificate.key_pem.size());
  EVP_DigestFinal_ex(md, digest, &length);
  EVP_MD_CTX_free(md);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace gatehouse::dataplane::tls
