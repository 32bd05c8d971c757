# Opens N keep-alive connections to a proxy, one request each, keeps them idle, reports the
# proxy's RSS delta per connection. usage: idle_rss.py PORT PID N
import socket, sys, time, resource
port, pid, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
def rss_kb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"): return int(line.split()[1])
def one(s):
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"ok"):
        data += s.recv(4096)
# warm up: allocator arenas, pools, buffers
warm = [socket.create_connection(("127.0.0.1", port)) for _ in range(50)]
for s in warm: one(s)
time.sleep(0.5)
before = rss_kb()
conns = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    one(s)
    conns.append(s)
time.sleep(1.5)  # past the 1 s a keep-alive connection keeps its read buffer
after = rss_kb()
print(f"connections={n} rss_before_kb={before} rss_after_kb={after} delta_per_conn_bytes={(after-before)*1024/n:.0f}")
