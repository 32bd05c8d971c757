#include "dataplane/observe/tls_handshakes.h"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace gatehouse::dataplane::observe {

TlsHandshakeFailure tlsHandshakeFailureOf(const boost::system::error_code& ec, bool timed_out) {
  if (timed_out) return TlsHandshakeFailure::Timeout;
  if (ec.category() != boost::asio::error::get_ssl_category()) {
    // EOF, a truncated stream, a reset: the client went away mid-handshake.
    return TlsHandshakeFailure::Closed;
  }
  switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
      return TlsHandshakeFailure::ClientCertificate;
    // The client's alert about our certificate (e.g. curl without the CA: unknown_ca).
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
      return TlsHandshakeFailure::CertificateRejected;
    default:
      return TlsHandshakeFailure::Protocol;
  }
}

void countTlsHandshake(ConnectionCounts* counts, const boost::system::error_code& ec, bool timed_out) {
  if (counts == nullptr) return;
  if (!ec) {
    ++counts->tls_handshakes;
  } else {
    counts->tlsHandshakeFailed(tlsHandshakeFailureOf(ec, timed_out));
  }
}

}  // namespace gatehouse::dataplane::observe
