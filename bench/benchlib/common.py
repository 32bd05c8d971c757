"""Process, /proc and small HTTP helpers shared by the benchmark harness and the CI smoke check.

Everything here uses only the Python standard library (Debian's /usr/bin/python3)."""

import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

# Debian package that provides each external tool the harness runs.
TOOL_PACKAGES = {
    "nginx": "nginx-light",
    "haproxy": "haproxy",
    "wrk": "wrk",
    "h2load": "nghttp2-client",
    "taskset": "util-linux",
    "chrt": "util-linux",
    "openssl": "openssl",
    "redis-server": "redis-server",
}
TOOL_PATHS = {
    "nginx": "/usr/sbin/nginx",
    "haproxy": "/usr/sbin/haproxy",
    "wrk": "/usr/bin/wrk",
    "h2load": "/usr/bin/h2load",
    "taskset": "/usr/bin/taskset",
    "chrt": "/usr/bin/chrt",
    "openssl": "/usr/bin/openssl",
    "redis-server": "/usr/bin/redis-server",
}


# `--rt`: run the pinned processes (proxy, backend, load generator) with SCHED_FIFO priority 1
# (chrt from util-linux), so a shared machine's other work cannot preempt them. Off by default.
RT_PREFIX = []


def enable_rt():
    RT_PREFIX[:] = [tool("chrt"), "-f", "1"]


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def ensure_tools(tools):
    """Install the Debian packages of any missing tool with apt-get (the harness runs as root)."""
    missing = sorted({TOOL_PACKAGES[t] for t in tools
                      if not (os.access(TOOL_PATHS[t], os.X_OK) or shutil.which(t))})
    if not missing:
        return
    log(f"installing missing Debian packages: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing,
                   check=True, env=env)


def tool(name):
    p = TOOL_PATHS.get(name)
    if p and os.access(p, os.X_OK):
        return p
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found (Debian package {TOOL_PACKAGES.get(name, '?')})")
    return found


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def pin_self(cpu):
    """Pin the harness itself (and so every helper it forks) to the load-generator core."""
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError:
        pass


class Proc:
    """A foreground child process, optionally pinned with taskset (which execs, so pid is the target)."""

    def __init__(self, name, argv, cpu=None, log_path=None, cwd=None, env=None):
        self.name = name
        self.argv = list(argv)
        if cpu is not None:
            argv = RT_PREFIX + [tool("taskset"), "-c", str(cpu)] + list(argv)
        self.log_path = log_path
        self._log = open(log_path, "wb") if log_path else subprocess.DEVNULL
        self.popen = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, cwd=cwd,
                                      env=env, start_new_session=True, preexec_fn=raise_nofile)
        self.pid = self.popen.pid
        self.started = time.monotonic()

    def alive(self):
        return self.popen.poll() is None

    def tail(self, n=20):
        if not self.log_path:
            return ""
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout=5):
        """SIGTERM the whole process group (nginx/HAProxy workers, old workers still draining
        after a reload), then SIGKILL whatever is left, and wait until the group is gone so the
        next target can bind the same port."""
        try:
            os.killpg(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + timeout
        while group_members(self.pid):
            if time.monotonic() > deadline:
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)
            if time.monotonic() > deadline + timeout:
                break
        if self.popen.poll() is None:
            self.popen.wait(timeout)
        if self._log is not subprocess.DEVNULL:
            self._log.close()
            self._log = subprocess.DEVNULL


# ---------------------------------------------------------------- /proc accounting

def group_members(pgid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        fields = s[s.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(d))
    return out


def _children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        ppid = int(s[s.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def proc_tree(pid):
    """pid and all its descendants (nginx master + workers; single process for haproxy/gatehouse)."""
    kids = _children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cpu_ticks(pids):
    """utime+stime (clock ticks) summed over pids, from /proc/PID/stat fields 14 and 15."""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                s = f.read()
        except OSError:
            continue
        fields = s[s.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])
    return total


def cpu_seconds_tree(pid):
    return cpu_ticks(proc_tree(pid)) / CLK_TCK


def memory_kb(pid):
    """{'rss_kb','pss_kb','hwm_kb'} summed over the process tree. PSS splits shared pages fairly,
    so nginx's master+worker are not double counted; for one process PSS ~= RSS."""
    rss = pss = hwm = 0
    for p in proc_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                    elif line.startswith("VmHWM:"):
                        hwm += int(line.split()[1])
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                        break
        except OSError:
            continue
    return {"rss_kb": rss, "pss_kb": pss, "hwm_kb": hwm}


# ---------------------------------------------------------------- HTTP helpers

def port_free(host, port):
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def http_get(host, port, path="/", hostname=None, timeout=1.0, headers=None):
    """One request on a fresh connection (Connection: close). Returns (status, headers, body);
    status is None when the connection failed or was reset."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            hdrs = {"Host": hostname or f"{host}:{port}", "Connection": "close",
                    "User-Agent": "gatehouse-bench"}
            hdrs.update(headers or {})
            req = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
            s.sendall((req + "\r\n").encode())
            chunks = []
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
    except OSError:
        return None, {}, b""
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return None, {}, data
    hd = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hd[k.strip().lower()] = v.strip()
    return status, hd, body


def wait_port(proc, host, port, timeout=15):
    """Returns once `proc` accepts TCP connections on host:port; raises when it exits or times out."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout and proc.alive():
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{proc.name} does not listen on {host}:{port}:\n{proc.tail()}")


def wait_http(host, port, path="/", hostname=None, want=200, timeout=30.0, interval=0.01,
              proc=None):
    """Poll until the response status is `want`; returns seconds waited or None on timeout."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc is not None and not proc.alive():
            return None
        st, _, _ = http_get(host, port, path, hostname, timeout=1.0)
        if st == want:
            return time.monotonic() - t0
        time.sleep(interval)
    return None


def atomic_write(path, text):
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


# ---------------------------------------------------------------- statistics

def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def percentile(xs, p):
    """Nearest-rank percentile (p in 0..100)."""
    xs = sorted(xs)
    if not xs:
        return None
    k = max(0, min(len(xs) - 1, int(-(-p * len(xs) // 100)) - 1))
    return xs[k]


def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return a / b
