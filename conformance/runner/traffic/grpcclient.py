"""gRPC client for the echo's GrpcEcho service (FORMAT §8.2) on python3-grpcio with a hand-written decoder.

Messages (conformance/echo-basic/grpcecho.proto): EchoRequest {} ; EchoResponse {Assertions assertions = 1;}
Assertions {string fully_qualified_method = 1; repeated Header headers = 2; string authority = 3; Context context = 4;
TLSAssertions tls_assertions = 5;} Header {string key = 1; string value = 2;}
Context {string namespace = 1; string ingress = 2; string service_name = 3; string pod = 4;}
"""
import ipaddress


class ProtoError(Exception):
    pass


def _varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ProtoError('truncated varint')
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtoError('varint too long')


def parse_fields(buf):
    """[(field number, wire type, value)] of one message; length-delimited values are bytes."""
    out, pos = [], 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = _varint(buf, pos)
        elif wt == 1:
            val, pos = buf[pos:pos + 8], pos + 8
        elif wt == 2:
            ln, pos = _varint(buf, pos)
            if pos + ln > len(buf):
                raise ProtoError('truncated field')
            val, pos = buf[pos:pos + ln], pos + ln
        elif wt == 5:
            val, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ProtoError(f'unsupported wire type {wt}')
        out.append((num, wt, val))
    return out


def _str(v):
    return v.decode('utf-8', 'replace') if isinstance(v, (bytes, bytearray)) else ''


def decode_echo_response(data):
    """EchoResponse bytes -> {'fully_qualified_method', 'headers': [(k, v)], 'authority', 'context': {...}}."""
    out = {'fully_qualified_method': '', 'headers': [], 'authority': '',
           'context': {'namespace': '', 'ingress': '', 'service_name': '', 'pod': ''}}
    for num, wt, val in parse_fields(data):
        if num != 1 or wt != 2:
            continue
        for an, awt, av in parse_fields(val):
            if awt != 2:
                continue
            if an == 1:
                out['fully_qualified_method'] = _str(av)
            elif an == 2:
                h = dict((n, _str(v)) for n, w, v in parse_fields(av) if w == 2)
                out['headers'].append((h.get(1, ''), h.get(2, '')))
            elif an == 3:
                out['authority'] = _str(av)
            elif an == 4:
                names = {1: 'namespace', 2: 'ingress', 3: 'service_name', 4: 'pod'}
                for cn, cw, cv in parse_fields(av):
                    if cw == 2 and cn in names:
                        out['context'][names[cn]] = _str(cv)
    return out


def grpc_target(target):
    host = target.rsplit(':', 1)[0].strip('[]')
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return f'dns:///{target}'
    return f'ipv6:{target}' if ip.version == 6 else f'ipv4:{target}'


class EchoClient:
    """One channel; `call` performs a unary call with an empty request and returns (code name, decoded or None)."""

    def __init__(self, target, authority=None):
        import grpc
        self._grpc = grpc
        opts = [('grpc.enable_http_proxy', 0), ('grpc.enable_retries', 0),
                ('grpc.default_authority', authority or target)]
        self.channel = grpc.insecure_channel(grpc_target(target), options=opts)

    def call(self, method, metadata=None, timeout=10.0):
        grpc = self._grpc
        fn = self.channel.unary_unary('/' + method)
        try:
            resp = fn(b'', metadata=list((metadata or {}).items()), timeout=max(0.001, timeout))
        except grpc.RpcError as e:
            code = e.code() if hasattr(e, 'code') else grpc.StatusCode.UNKNOWN
            detail = e.details() if hasattr(e, 'details') else str(e)
            return code.name, None, detail
        try:
            return 'OK', decode_echo_response(resp), ''
        except ProtoError as e:
            return 'INTERNAL', None, f'cannot decode EchoResponse: {e}'

    def close(self):
        self.channel.close()
