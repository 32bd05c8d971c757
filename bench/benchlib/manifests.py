"""Gateway API manifests for Gatehouse (`gatehouse serve DIR`), written atomically (temp + rename).

Layout of a config directory:
  00-gateway.yaml      GatewayClass + Gateway (+ TLS Secret when an HTTPS listener is wanted)
  route-<name>.yaml    one HTTPRoute (GRPCRoute for section 2's gRPC runs) + its own Service + its
                       own EndpointSlice (three documents)
"""

import base64
import os

import yaml

from .common import atomic_write

CONTROLLER = "gatehouse.dev/gateway-controller"
NS = "bench"
CLASS = "gatehouse"
GATEWAY = "bench"


def gateway_docs(address, http_port=None, https_port=None, cert_pem=None, key_pem=None):
    listeners = []
    if http_port:
        listeners.append({"name": "http", "protocol": "HTTP", "port": http_port,
                          "allowedRoutes": {"namespaces": {"from": "Same"}}})
    docs = [
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
         "metadata": {"name": CLASS}, "spec": {"controllerName": CONTROLLER}},
    ]
    if https_port:
        listeners.append({"name": "https", "protocol": "HTTPS", "port": https_port,
                          "tls": {"mode": "Terminate",
                                  "certificateRefs": [{"kind": "Secret", "name": "bench-tls"}]},
                          "allowedRoutes": {"namespaces": {"from": "Same"}}})
        docs.append({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                     "metadata": {"name": "bench-tls", "namespace": NS},
                     "data": {"tls.crt": base64.b64encode(cert_pem).decode(),
                              "tls.key": base64.b64encode(key_pem).decode()}})
    docs.append({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                 "metadata": {"name": GATEWAY, "namespace": NS},
                 "spec": {"gatewayClassName": CLASS,
                          "addresses": [{"type": "IPAddress", "value": address}],
                          "listeners": listeners}})
    return docs


def service_docs(name, port, endpoint_ip, endpoint_port, app_protocol=None, protocol="TCP"):
    svc_port = {"name": "http", "port": port, "protocol": protocol, "targetPort": endpoint_port}
    if app_protocol:
        svc_port["appProtocol"] = app_protocol
    return [
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": name, "namespace": NS},
         "spec": {"ports": [svc_port]}},
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": {"name": name + "-1", "namespace": NS,
                      "labels": {"kubernetes.io/service-name": name}},
         "addressType": "IPv4",
         "ports": [{"name": "http", "port": endpoint_port, "protocol": protocol}],
         "endpoints": [{"addresses": [endpoint_ip], "conditions": {"ready": True}}]},
    ]


def route_doc(name, service, hostnames=None, path_prefix="/", header_value=None, port=80,
              section=None):
    rule = {"matches": [{"path": {"type": "PathPrefix", "value": path_prefix}}],
            "backendRefs": [{"name": service, "port": port}]}
    if header_value is not None:
        rule["filters"] = [{"type": "RequestHeaderModifier",
                            "requestHeaderModifier": {
                                "set": [{"name": "X-Bench-Route", "value": header_value}]}}]
    parent = {"name": GATEWAY}
    if section:
        parent["sectionName"] = section
    spec = {"parentRefs": [parent], "rules": [rule]}
    if hostnames:
        spec["hostnames"] = list(hostnames)
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": NS}, "spec": spec}


def rate_limit_doc(name, route, requests, window, scope="local"):
    """A RateLimitPolicy (gatehouse.dev) with a `scope` ("local" or "global") limit on every rule
    of the HTTPRoute `route`."""
    return {"apiVersion": "gatehouse.dev/v1alpha1", "kind": "RateLimitPolicy",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": route}],
                     scope: {"requests": requests, "window": window}}}


def grpc_route_doc(name, service, hostnames, port=80):
    """A GRPCRoute sending every call (no method match) to `service`."""
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"parentRefs": [{"name": GATEWAY}], "hostnames": list(hostnames),
                     "rules": [{"backendRefs": [{"name": service, "port": port}]}]}}


def dump(docs):
    return yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False)


def write_gateway(d, address, http_port=None, https_port=None, cert_pem=None, key_pem=None):
    os.makedirs(d, exist_ok=True)
    atomic_write(os.path.join(d, "00-gateway.yaml"),
                 dump(gateway_docs(address, http_port, https_port, cert_pem, key_pem)))


def scale_route_name(i):
    return f"r{i}"


def scale_host(i):
    return f"r{i}.bench.test"


def scale_path(i):
    return f"/p{i}/"


_SCALE_TEMPLATE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {name}
  namespace: %(ns)s
spec:
  parentRefs:
  - name: %(gw)s
  hostnames:
  - {host}
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: {path}
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set:
        - name: X-Bench-Route
          value: {value}
    backendRefs:
    - name: svc-{name}
      port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: svc-{name}
  namespace: %(ns)s
spec:
  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: {port}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: svc-{name}-1
  namespace: %(ns)s
  labels:
    kubernetes.io/service-name: svc-{name}
addressType: IPv4
ports:
- name: http
  port: {port}
  protocol: TCP
endpoints:
- addresses:
  - {ip}
  conditions:
    ready: true
""" % {"ns": NS, "gw": GATEWAY}


def scale_route_text(i, backend_port, gen=0, endpoint_ip="127.0.0.1"):
    """Route i of a route-scale / propagation set: its own hostname, a path prefix, a header
    modifier (X-Bench-Route: r<i>) and its own Service + EndpointSlice. `gen` changes the
    header value so a rewrite is a real change. (A string template: PyYAML is far too slow to
    dump 50k routes; test_manifests checks it equals the dict form.)"""
    name = scale_route_name(i)
    return _SCALE_TEMPLATE.format(name=name, host=scale_host(i), path=scale_path(i),
                                  value=name if gen == 0 else f"{name}-g{gen}",
                                  port=backend_port, ip=endpoint_ip)


def scale_route_docs(i, backend_port, gen=0, endpoint_ip="127.0.0.1"):
    name = scale_route_name(i)
    svc = f"svc-{name}"
    val = name if gen == 0 else f"{name}-g{gen}"
    return [route_doc(name, svc, [scale_host(i)], scale_path(i), val)] + \
        service_docs(svc, 80, endpoint_ip, backend_port)


def write_scale_route(d, i, backend_port, gen=0, prefix="route-"):
    atomic_write(os.path.join(d, f"{prefix}{scale_route_name(i)}.yaml"),
                 scale_route_text(i, backend_port, gen))
