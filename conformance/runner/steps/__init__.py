"""Step handlers by action key (FORMAT §5.5)."""
from ..traffic.http import http_step
from ..traffic.other import dns_step, grpc_step, tcp_step, tls_connect_step, udp_step, websocket_step
from . import mutation, status

HANDLERS = {}
HANDLERS.update(status.HANDLERS)
HANDLERS.update(mutation.HANDLERS)
HANDLERS.update({
    'http': http_step,
    'grpc': grpc_step,
    'tcp': tcp_step,
    'udp': udp_step,
    'dns': dns_step,
    'tlsConnect': tls_connect_step,
    'websocket': websocket_step,
})
