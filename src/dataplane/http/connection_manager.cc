#include "dataplane/http/connection_manager.h"

#include "dataplane/event/worker.h"
#include "dataplane/http/h1_connection.h"
#include "dataplane/net/acceptor.h"

namespace gatehouse::dataplane {

void startHttpConnection(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, boost::asio::ip::tcp::socket socket) {
  if (!acceptor->tls()) {
    startH1Connection(worker, std::move(acceptor), std::move(socket));
    return;
  }
  const GenerationPtr& generation = worker.generation();
  const SocketConfig* config = generation ? generation->find(acceptor->identity()) : nullptr;
  if (config == nullptr || !config->tls) return;  // no certificate for this socket any more: the socket closes
  SSL* ssl = config->tls->newSsl();
  if (ssl == nullptr) return;
  startH1Connection(worker, std::move(acceptor), tls::Stream(std::move(socket), ssl), config->tls);
}

}  // namespace gatehouse::dataplane
