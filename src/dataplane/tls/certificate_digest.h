#pragma once
#include <string>

#include "snapshot/snapshot.h"

namespace gatehouse::dataplane::tls {

// SHA-256 (raw bytes) of a certificate's PEM and its key's: what the context caches key on, so
// equal content across snapshots finds the context built for it.
std::string certificateDigest(const snapshot::TlsCertificate& certificate);

}  // namespace gatehouse::dataplane::tls
