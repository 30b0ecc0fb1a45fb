"""harness.py: what every integration test stands on.

Owns: finding the binaries under test (RCID, RCICTL, RCI_BUILD_DIR,
PYTHONPATH=<build>/pygen, set by CMake/ctest), a throw-away PostgreSQL 15
cluster (initdb into a temp dir under /tmp, Unix socket only, run as the
`postgres` user when we are root, stoppable and restartable for the outage
tests), starting rcid on a free port and waiting until Health/Check says
SERVING, stopping it with a signal and checking its exit code, running
rcictl, reading /metrics, and a small raw HTTP/2 client (python3-h2) for the
wire cases stock gRPC clients cannot produce.

Rules kept here so the tests need not repeat them: every wait is a bounded
poll (no fixed sleeps where a condition can be polled); everything started
is stopped and every temp dir removed in cleanups that run even when a test
or a setUpClass fails; failures show the last lines of the daemon's log.
"""

import base64
import gzip
import os
import pwd
import re
import select
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

# ---- locations ---------------------------------------------------------------

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("RCI_BUILD_DIR") or os.path.join(REPO, "build")
RCID = os.environ.get("RCID") or os.path.join(BUILD, "rcid")
RCICTL = os.environ.get("RCICTL") or os.path.join(BUILD, "rcictl")
_pygen = os.path.join(BUILD, "pygen")
if os.path.isdir(_pygen) and _pygen not in sys.path:
    sys.path.insert(0, _pygen)

import grpc  # noqa: E402  (after sys.path is set up)
from healthpb import health_pb2, health_pb2_grpc  # noqa: E402
from rci.v1 import registry_pb2, registry_pb2_grpc  # noqa: E402

IS_ROOT = os.geteuid() == 0
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN

SERVED_SERVICES = {
    "rci.v1.RegistryService",
    "rci.v1.IndicatorService",
    "rci.v1.AdminService",
    "rci.v1.AlertService",
    "rci.v1.AirService",
    "rci.v1.WaterService",
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
}

# Every channel the tests open: never through a proxy from the environment.
BASE_CHANNEL_OPTIONS = [("grpc.enable_http_proxy", 0)]
# Channels that must each get their own TCP connection (grpc-wire.md §11).
SEPARATE_CONNECTION = ("grpc.use_local_subchannel_pool", 1)

START_TIMEOUT = 20.0        # rcid start-up with an external database
EMBEDDED_START_TIMEOUT = 60.0  # first start runs initdb
STOP_TIMEOUT = 15.0         # SIGTERM → exit (default grace is 10 s)


def wait_for(cond, timeout, interval=0.05, what="condition"):
    """Poll cond() until it returns a truthy value; return that value.
    Raises AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = cond()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - report the last one
            last_exc = e
        if time.monotonic() >= deadline:
            extra = f" (last error: {last_exc!r})" if last_exc else ""
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}{extra}")
        time.sleep(interval)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_accepts(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def make_temp_dir(prefix):
    """A temp dir under /tmp with mode 0755, so that `postgres` can enter it."""
    d = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(d, 0o755)
    return d


def tail(path, n=60):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])
    except OSError as e:
        return f"<cannot read {path}: {e}>"


def pg_bindir():
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                             timeout=10).stdout.strip()
        if out and os.path.exists(os.path.join(out, "initdb")):
            return out
    except (OSError, subprocess.SubprocessError):
        pass
    return "/usr/lib/postgresql/15/bin"


def processes():
    """Yield (pid, uid, cmdline, cwd) for every process we can see."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
            uid = os.stat(f"/proc/{pid}").st_uid
        except OSError:
            continue
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            cwd = ""
        yield pid, uid, cmd, cwd


def processes_using(path):
    """Processes whose command line mentions path or whose cwd is inside it
    (PostgreSQL's children run with the data directory as cwd)."""
    path = os.path.realpath(path)
    found = []
    for pid, uid, cmd, cwd in processes():
        if pid == os.getpid():
            continue
        if path in cmd or cwd == path or cwd.startswith(path + "/"):
            found.append((pid, cmd, cwd))
    return found


def pid_exists(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def is_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


# ---- PostgreSQL ----------------------------------------------------------------

class PostgresServer:
    """A throw-away PostgreSQL 15 cluster on a Unix socket (no TCP)."""

    def __init__(self, dbname="rci_test"):
        self.bindir = pg_bindir()
        self.root = make_temp_dir("rci-pg-")   # short: holds the socket too
        self.data = os.path.join(self.root, "data")
        self.sockdir = self.root
        self.logfile = os.path.join(self.root, "pg.log")
        self.dbname = dbname
        self.user = "postgres" if IS_ROOT else pwd.getpwuid(os.getuid()).pw_name
        self.running = False
        if IS_ROOT:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)

    def _run(self, args, timeout=60, check=True):
        cmd = list(args)
        if IS_ROOT:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        p = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}\n"
                               f"--- pg log ---\n{tail(self.logfile)}")
        return p

    def init(self):
        """Create the cluster: a copy of the build tree's template cluster
        when there is one (initdb takes seconds, a copy a fraction), else
        initdb. The copy is owned by postgres like the original."""
        tmpl = _pg_template(self)
        if tmpl:
            subprocess.run(["cp", "-a", tmpl, self.data], check=True, timeout=60)
            self.has_db = True
        else:
            self.initdb(self.data)
            self.has_db = False
        self.configure(self.sockdir)
        return self

    def initdb(self, data):
        self._run([os.path.join(self.bindir, "initdb"), "-D", data, "-E", "UTF8",
                   "--locale=C", "-A", "trust", "-U", self.user, "--no-sync"])

    def configure(self, sockdir):
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\n# rci integration tests\n"
                    "listen_addresses = ''\n"
                    f"unix_socket_directories = '{sockdir}'\n"
                    "fsync = on\n"
                    "max_connections = 50\n"
                    "shared_buffers = 16MB\n")

    def start(self):
        self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-l", self.logfile,
                   "-w", "-t", "30", "start"])
        self.running = True
        return self

    def stop(self, mode="fast"):
        self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", mode,
                   "-w", "-t", "30", "stop"])
        self.running = False

    def postmaster_pid(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline().strip())
        except (OSError, ValueError):
            return None

    def psql(self, sql, db=None):
        p = self._run([os.path.join(self.bindir, "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                       "-h", self.sockdir, "-U", self.user, "-d", db or self.dbname, "-c", sql])
        return p.stdout

    def createdb(self):
        if not getattr(self, "has_db", False):
            self.psql(f'CREATE DATABASE "{self.dbname}"', db="postgres")
        return self

    def conninfo(self):
        return f"host={self.sockdir} dbname={self.dbname} user={self.user}"

    def cleanup(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", "immediate",
                       "-w", "-t", "20", "stop"], check=False)
        pid = self.postmaster_pid()
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


def _pg_template(pg):
    """Path of a template cluster (initdb'd, database pg.dbname created,
    cleanly shut down) kept in the build tree, made once under a lock;
    None if the build tree cannot hold it. The template is built in a temp
    dir under /tmp (postgres must reach it) and then copied in."""
    if not os.path.isdir(BUILD) or not os.access(BUILD, os.W_OK):
        return None
    import fcntl
    import hashlib
    try:
        ver = subprocess.run([os.path.join(pg.bindir, "initdb"), "--version"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    key = hashlib.sha1(f"{ver}|{pg.user}|{pg.dbname}|{os.geteuid()}".encode()).hexdigest()[:12]
    final = os.path.join(BUILD, f"it-pg-template-{key}")
    with open(os.path.join(BUILD, "it-pg-template.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(os.path.join(final, "PG_VERSION")):
            return final
        maker = PostgresServer(dbname=pg.dbname)
        try:
            maker.initdb(maker.data)
            maker.configure(maker.sockdir)
            maker.start()
            maker.has_db = False
            maker.createdb()
            maker.stop("fast")
            shutil.rmtree(final + ".tmp", ignore_errors=True)
            subprocess.run(["cp", "-a", maker.data, final + ".tmp"], check=True, timeout=60)
            os.rename(final + ".tmp", final)
        finally:
            maker.cleanup()
        return final


# ---- rcid ------------------------------------------------------------------------

class Rcid:
    """One rcid process. Its stdout and stderr go to a log file."""

    def __init__(self, database=None, data_dir=None, extra_args=(), tls_ca=None, admin=False,
                 threads=2, env=None, argv_fn=None):
        self.database = database
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.tls_ca = tls_ca            # PEM bytes: rcid serves TLS, clients trust this
        self.admin = admin
        self.threads = threads
        self.env = env
        self.argv_fn = argv_fn      # argv_fn(self) → full argv, for config-file tests
        self.proc = None
        self.port = None
        self.keep_port = False   # restart on the same port (clients reconnect to it)
        self.admin_port = None
        self.logdir = tempfile.mkdtemp(prefix="rci-log-", dir="/tmp")
        self.logfile = None
        self.starts = 0
        self._channels = []

    # -- life cycle --

    @property
    def target(self):
        return f"127.0.0.1:{self.port}"

    @property
    def admin_addr(self):
        return f"127.0.0.1:{self.admin_port}"

    def argv(self):
        if self.argv_fn is not None:
            return self.argv_fn(self)
        a = [RCID, "--listen", self.target, "--threads", str(self.threads), "--log-level", "debug"]
        if self.database is not None:
            a += ["--database", self.database]
        if self.data_dir is not None:
            a += ["--data-dir", self.data_dir]
        if self.admin:
            a += ["--admin-listen", self.admin_addr]
        return a + self.extra_args

    def spawn(self):
        """Start the process without waiting for it to serve."""
        assert self.proc is None or self.proc.poll() is not None, "rcid already running"
        self.close_channels()
        if not (self.keep_port and self.port):
            self.port = free_port()
        if self.admin:
            self.admin_port = free_port()
        self.starts += 1
        self.logfile = os.path.join(self.logdir, f"rcid-{self.starts}.log")
        env = dict(os.environ)
        env.pop("RCI_DATABASE_URL", None)
        if self.env:
            env.update(self.env)
        with open(self.logfile, "wb") as log:
            self.proc = subprocess.Popen(self.argv(), stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env, cwd=self.logdir)
        return self

    def start(self, timeout=START_TIMEOUT):
        last = None
        for _ in range(3):   # another process may grab the free port first
            self.spawn()
            try:
                self.wait_serving(timeout)
                return self
            except AssertionError as e:
                last = e
                if self.proc.poll() is not None and re.search(
                        r"address already in use|EADDRINUSE", self.log(), re.I):
                    continue
                raise
        raise last

    def wait_serving(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        ch = None
        try:
            while True:
                if self.proc.poll() is not None:
                    raise AssertionError(
                        f"rcid exited with {self.proc.returncode} during start-up\n"
                        f"argv: {self.argv()}\n--- rcid log ---\n{tail(self.logfile)}")
                if port_accepts(self.port):
                    if ch is None:
                        ch = self.channel()
                    try:
                        r = health_pb2_grpc.HealthStub(ch).Check(
                            health_pb2.HealthCheckRequest(service=""), timeout=1)
                        if r.status == SERVING:
                            return
                    except grpc.RpcError:
                        pass
                if time.monotonic() >= deadline:
                    raise AssertionError(
                        f"rcid not SERVING after {timeout:.0f}s\nargv: {self.argv()}\n"
                        f"--- rcid log ---\n{tail(self.logfile)}")
                time.sleep(0.1)
        finally:
            if ch is not None:
                ch.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """Wait for the process to exit; returns its code or None on timeout."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Signal and wait; returns the exit code (None if it did not exit)."""
        self.close_channels()
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.send_signal(sig)
        return self.wait_exit(timeout)

    def stop_ok(self, testcase=None, timeout=STOP_TIMEOUT):
        """SIGTERM, then require exit code 0 within timeout."""
        code = self.stop(timeout=timeout)
        if code != 0:
            msg = (f"rcid did not exit 0 after SIGTERM (got {code!r}, "
                   f"{'still running' if code is None else 'exited'})\n"
                   f"--- rcid log ---\n{tail(self.logfile)}")
            if testcase is not None:
                testcase.fail(msg)
            raise AssertionError(msg)

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait(timeout=10)

    def cleanup(self):
        self.close_channels()
        if self.alive():
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        shutil.rmtree(self.logdir, ignore_errors=True)

    def log(self):
        try:
            with open(self.logfile, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def log_tail(self, n=60):
        return tail(self.logfile, n)

    # -- clients --

    def channel(self, options=(), separate=False, target=None):
        """A grpc channel to this rcid (TLS when the daemon serves TLS).
        The harness closes it when rcid stops."""
        opts = list(BASE_CHANNEL_OPTIONS) + list(options)
        if separate:
            opts.append(SEPARATE_CONNECTION)
        if self.tls_ca is not None:
            creds = grpc.ssl_channel_credentials(root_certificates=self.tls_ca)
            ch = grpc.secure_channel(target or self.target, creds, options=opts)
        else:
            ch = grpc.insecure_channel(target or self.target, options=opts)
        self._channels.append(ch)
        return ch

    def close_channels(self):
        for ch in self._channels:
            try:
                ch.close()
            except Exception:  # noqa: BLE001
                pass
        self._channels = []

    def health(self, ch=None):
        return health_pb2_grpc.HealthStub(ch or self.channel())

    def registry(self, ch=None):
        return registry_pb2_grpc.RegistryServiceStub(ch or self.channel())

    def check(self, service="", timeout=5, ch=None):
        return self.health(ch).Check(health_pb2.HealthCheckRequest(service=service),
                                     timeout=timeout).status

    def list_regions(self, timeout=10, ch=None, **kw):
        return self.registry(ch).ListRegions(registry_pb2.ListRegionsRequest(**kw),
                                             timeout=timeout)

    # -- admin endpoint --

    def http_get(self, path, timeout=5):
        """GET http://admin/path; returns (status, content-type, body text)."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(f"http://{self.admin_addr}{path}", timeout=timeout) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read().decode("utf-8", "replace")

    def metrics(self):
        status, _, body = self.http_get("/metrics")
        if status != 200:
            raise AssertionError(f"/metrics answered {status}: {body[:500]}")
        return parse_prometheus(body)

    # -- rcictl --

    def rcictl(self, *args, timeout=20, server=True, tls=True):
        argv = [RCICTL]
        if server:
            argv += ["--server", self.target]
        if tls and self.tls_ca is not None:
            argv += ["--tls", "--ca", self._ca_file()]
        argv += list(args)
        return run_rcictl(argv, timeout=timeout)

    def _ca_file(self):
        p = os.path.join(self.logdir, "ca.pem")
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(self.tls_ca)
        return p


def run_rcictl(argv, timeout=20):
    env = dict(os.environ)
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "grpc_proxy"):
        env.pop(k, None)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=env)


# ---- Prometheus text -------------------------------------------------------------

_PROM_LINE = re.compile(
    r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+([-+]?(?:[0-9.]+(?:[eE][-+]?[0-9]+)?|NaN|\+Inf|-Inf|Inf))'
    r'(\s+-?[0-9]+)?$')
_PROM_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*')


def parse_prometheus(text):
    """Parse Prometheus text format 0.0.4 strictly.
    Returns {"samples": [(name, {labels}, value)], "types": {name: type}}.
    Raises AssertionError on a line that is not valid."""
    samples, types = [], {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 4 and parts[1] == "TYPE":
                types[parts[2]] = parts[3].strip()
            continue
        m = _PROM_LINE.match(line)
        if not m:
            raise AssertionError(f"/metrics line {n} is not Prometheus text: {line!r}")
        labels = {}
        if m.group(3):
            rest = m.group(3)
            pos = 0
            while pos < len(rest):
                lm = _PROM_LABEL.match(rest, pos)
                if not lm:
                    raise AssertionError(f"/metrics line {n}: bad labels: {line!r}")
                labels[lm.group(1)] = lm.group(2)
                pos = lm.end()
        samples.append((m.group(1), labels, float(m.group(4).replace("Inf", "inf"))))
    return {"samples": samples, "types": types, "text": text}


def metric_sum(parsed, name, **match):
    """Sum of samples called name whose labels contain every match item.
    A match value may be a callable label predicate."""
    total = 0.0
    for n, labels, v in parsed["samples"]:
        if n != name:
            continue
        ok = True
        for k, want in match.items():
            have = labels.get(k)
            if callable(want):
                if have is None or not want(have):
                    ok = False
            elif have != want:
                ok = False
        if ok:
            total += v
    return total


def find_metric(parsed, *patterns):
    """The first sample name matching any regex in patterns, or None."""
    names = sorted({n for n, _, _ in parsed["samples"]})
    for p in patterns:
        for n in names:
            if re.fullmatch(p, n):
                return n
    return None


# ---- test case base ----------------------------------------------------------------

class RcidTestCase(unittest.TestCase):
    """One PostgreSQL and one rcid for the whole class.
    Subclasses set rcid_args / admin / tls_ca to change how rcid starts."""

    rcid_args = ()
    auto_lock_off = True
    admin = False
    tls_ca = None
    start_rcid = True

    @classmethod
    def setUpClass(cls):
        cls.pg = PostgresServer()
        cls.addClassCleanup(cls.pg.cleanup)
        cls.pg.init().start().createdb()
        cls.rcid = cls.make_rcid()
        if cls.start_rcid:
            cls.rcid.start()
            # Periods lock themselves 30 days after their due date
            # (0007_completeness.sql); tests push historical periods, so
            # they turn that off. test_completeness turns it on to test it.
            if cls.auto_lock_off:
                cls.pg.psql("UPDATE period_lock_settings SET auto_lock_days = NULL")

    @classmethod
    def make_rcid(cls, **kw):
        args = dict(database=cls.pg.conninfo(), extra_args=cls.rcid_args, admin=cls.admin,
                    tls_ca=cls.tls_ca)
        args.update(kw)
        r = Rcid(**args)
        cls.addClassCleanup(r.cleanup)
        return r

    @classmethod
    def tearDownClass(cls):
        # A clean SIGTERM exit is part of what every class checks.
        if cls.start_rcid and cls.rcid.alive():
            cls.rcid.stop_ok()

    def assertRpcError(self, fn, codes, msg=None):
        """Call fn(); require grpc.RpcError with a code in codes. Returns it."""
        if isinstance(codes, grpc.StatusCode):
            codes = (codes,)
        try:
            r = fn()
        except grpc.RpcError as e:
            if e.code() not in codes:
                self.fail(f"{msg or 'call'}: expected {[c.name for c in codes]}, got "
                          f"{e.code().name} {e.details()!r}\n--- rcid log ---\n"
                          f"{self.rcid.log_tail(30)}")
            return e
        self.fail(f"{msg or 'call'}: expected {[c.name for c in codes]}, got a response: {r!r}"[:2000])

    def assertServerHealthy(self):
        """The daemon still runs and answers both without and with the database."""
        self.assertTrue(self.rcid.alive(), "rcid died\n" + self.rcid.log_tail())
        self.assertEqual(self.rcid.check(""), SERVING)
        r = self.rcid.list_regions()
        self.assertIn("440300", [x.code for x in r.regions])


# ---- raw HTTP/2 (python3-h2) ---------------------------------------------------------

try:
    import h2.config
    import h2.connection
    import h2.events
    import h2.errors
    import h2.settings
    HAVE_H2 = True
except ImportError:  # pragma: no cover - reported by the tests that need it
    HAVE_H2 = False

need_h2 = unittest.skipUnless(HAVE_H2, "python3-h2 is not installed (apt-get install python3-h2)")


def frame(msg, compressed=False):
    """gRPC length-prefixed message."""
    return struct.pack(">BI", 1 if compressed else 0, len(msg)) + msg


def unframe(data):
    """Split length-prefixed messages; returns a list of (flag, bytes).
    Raises AssertionError if data does not end on a message boundary."""
    out, pos = [], 0
    while pos < len(data):
        if len(data) - pos < 5:
            raise AssertionError(f"truncated message prefix in response: {data[pos:]!r}")
        flag, n = struct.unpack(">BI", data[pos:pos + 5])
        if len(data) - pos - 5 < n:
            raise AssertionError("truncated message body in response")
        out.append((flag, data[pos + 5:pos + 5 + n]))
        pos += 5 + n
    return out


def pct_decode(value):
    """grpc-message percent-decoding (bytes in, bytes out)."""
    out, i = bytearray(), 0
    while i < len(value):
        c = value[i]
        if c == 0x25 and i + 2 < len(value) and re.fullmatch(rb"[0-9A-Fa-f]{2}", value[i + 1:i + 3]):
            out.append(int(value[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(c)
            i += 1
    return bytes(out)


class StreamResult:
    def __init__(self, stream_id):
        self.stream_id = stream_id
        self.headers = None       # list of (name, value) bytes: the first block
        self.trailers = None      # the second block, if any
        self.data = b""
        self.ended = False        # END_STREAM seen from the server
        self.reset = None         # RST_STREAM error code, if any
        self.events = []          # ("headers"|"data"|"trailers"|"end"|"reset", …) in order

    @staticmethod
    def _get(block, name):
        if block is None:
            return None
        for k, v in block:
            if k == name:
                return v
        return None

    def header(self, name):
        return self._get(self.headers, name.encode() if isinstance(name, str) else name)

    def trailer(self, name):
        return self._get(self.trailers, name.encode() if isinstance(name, str) else name)

    @property
    def http_status(self):
        v = self.header(b":status")
        return int(v) if v is not None else None

    @property
    def trailers_only(self):
        return self.headers is not None and self.trailers is None and self.ended

    @property
    def grpc_status(self):
        """grpc-status from the trailers (or the trailers-only block)."""
        block = self.headers if self.trailers_only else self.trailers
        v = self._get(block, b"grpc-status")
        return int(v) if v is not None else None

    @property
    def grpc_message_raw(self):
        block = self.headers if self.trailers_only else self.trailers
        return self._get(block, b"grpc-message")

    @property
    def grpc_message(self):
        raw = self.grpc_message_raw
        return None if raw is None else pct_decode(raw).decode("utf-8", "backslashreplace")

    def messages(self):
        return unframe(self.data)

    def __repr__(self):
        return (f"StreamResult(id={self.stream_id}, headers={self.headers}, data={len(self.data)}B, "
                f"trailers={self.trailers}, ended={self.ended}, reset={self.reset})")


class H2Client:
    """A deliberately simple, blocking HTTP/2 client over one TCP (or TLS)
    connection, for sending what grpc libraries never send."""

    def __init__(self, port, host="127.0.0.1", ssl_context=None, server_hostname=None,
                 validate=True, timeout=10):
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ssl_context is not None:
            sock = ssl_context.wrap_socket(sock, server_hostname=server_hostname or host)
        self.sock = sock
        cfg = h2.config.H2Configuration(client_side=True, header_encoding=None,
                                        validate_outbound_headers=validate,
                                        normalize_outbound_headers=validate,
                                        validate_inbound_headers=False)
        self.conn = h2.connection.H2Connection(config=cfg)
        # h2 treats any GOAWAY as the end of the connection and refuses the
        # frames that follow; a graceful GOAWAY lets streams at or below its
        # last-stream-id finish, which is what the shutdown tests watch.
        sm = self.conn.state_machine
        t = dict(sm._transitions)
        t[(h2.connection.ConnectionState.CLIENT_OPEN, h2.connection.ConnectionInputs.RECV_GOAWAY)] = \
            (None, h2.connection.ConnectionState.CLIENT_OPEN)
        sm._transitions = t
        self.conn.local_settings = h2.settings.Settings(client=True, initial_values={
            h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 4 * 1024 * 1024 - 1,
            h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 65536,
            h2.settings.SettingCodes.ENABLE_PUSH: 0,
        })
        self.conn.initiate_connection()
        self.conn.increment_flow_control_window(16 * 1024 * 1024)
        self.streams = {}
        self.goaways = []         # (last_stream_id, error_code)
        self.server_settings = {}  # SETTINGS id → value, as the server sent them
        self.settings_seen = False
        self.closed = False       # TCP EOF seen
        self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def grpc_headers(self, path, content_type=b"application/grpc", te=True, extra=(),
                     method=b"POST", scheme=b"http", authority=b"localhost"):
        h = [(b":method", method), (b":scheme", scheme), (b":path", path.encode()
                                                            if isinstance(path, str) else path),
             (b":authority", authority)]
        if content_type is not None:
            h.append((b"content-type", content_type))
        if te:
            h.append((b"te", b"trailers"))
        for k, v in extra:
            h.append((k.encode() if isinstance(k, str) else k, v.encode() if isinstance(v, str) else v))
        return h

    def start(self, path, body=None, end_stream=True, headers=None, **kw):
        """Open a stream: HEADERS (+ body DATA). end_stream closes our side
        after the body (or on the HEADERS when body is None)."""
        sid = self.conn.get_next_available_stream_id()
        hdrs = headers if headers is not None else self.grpc_headers(path, **kw)
        self.streams[sid] = StreamResult(sid)
        self.conn.send_headers(sid, hdrs, end_stream=(end_stream and body is None))
        self.flush()
        if body is not None:
            self.send_data(sid, body, end_stream=end_stream)
        return sid

    def send_data(self, sid, data, end_stream=False):
        """Send data respecting flow control (reads while blocked)."""
        view = memoryview(data)
        deadline = time.monotonic() + 30
        while True:
            if len(view) == 0:
                if end_stream:
                    self.conn.end_stream(sid)
                    self.flush()
                return
            window = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
            if window <= 0:
                if time.monotonic() > deadline:
                    raise AssertionError("flow-control window never opened")
                self.pump(0.2)
                st = self.streams[sid]
                if st.reset is not None or st.ended:
                    return   # the server finished the stream while we were uploading
                continue
            n = min(window, len(view))
            last = n == len(view)
            self.conn.send_data(sid, bytes(view[:n]), end_stream=(last and end_stream))
            self.flush()
            view = view[n:]
            if last:
                return

    def end(self, sid):
        self.conn.end_stream(sid)
        self.flush()

    def reset(self, sid, code=None):
        self.conn.reset_stream(sid, error_code=h2.errors.ErrorCodes.CANCEL if code is None else code)
        self.flush()

    def pump(self, timeout):
        """Read whatever arrives within timeout seconds, process events."""
        if self.closed:
            time.sleep(min(timeout, 0.05))
            return
        pending = getattr(self.sock, "pending", lambda: 0)()
        if not pending:
            r, _, _ = select.select([self.sock], [], [], timeout)
            if not r:
                return
        try:
            data = self.sock.recv(1 << 20)
        except (ConnectionResetError, ssl.SSLError, OSError):
            data = b""
        if not data:
            self.closed = True
            return
        events = self.conn.receive_data(data)
        for ev in events:
            self._on_event(ev)
        try:
            self.flush()
        except OSError:
            self.closed = True

    def _on_event(self, ev):
        sid = getattr(ev, "stream_id", None)
        st = self.streams.get(sid) if sid else None
        if isinstance(ev, (h2.events.ResponseReceived, h2.events.InformationalResponseReceived)):
            if st:
                st.headers = list(ev.headers)
                st.events.append(("headers", st.headers))
        elif isinstance(ev, h2.events.TrailersReceived):
            if st:
                st.trailers = list(ev.headers)
                st.events.append(("trailers", st.trailers))
        elif isinstance(ev, h2.events.DataReceived):
            if ev.flow_controlled_length:
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            if st:
                st.data += ev.data
                st.events.append(("data", ev.data))
        elif isinstance(ev, h2.events.StreamEnded):
            if st:
                st.ended = True
                st.events.append(("end", None))
        elif isinstance(ev, h2.events.StreamReset):
            if st:
                st.reset = int(ev.error_code)
                st.events.append(("reset", st.reset))
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self.goaways.append((ev.last_stream_id, int(ev.error_code)))
        elif isinstance(ev, h2.events.RemoteSettingsChanged):
            self.settings_seen = True
            for code, ch in ev.changed_settings.items():
                self.server_settings[int(code)] = ch.new_value

    def wait(self, sid, timeout=10, until=None):
        """Pump until stream sid is finished (ended or reset) or until(st)
        holds. Returns the StreamResult; raises AssertionError on timeout."""
        st = self.streams[sid]
        deadline = time.monotonic() + timeout
        while True:
            if until is not None:
                if until(st):
                    return st
            elif st.ended or st.reset is not None:
                return st
            if self.closed and until is None:
                return st
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"stream {sid} not finished after {timeout}s: {st!r}")
            self.pump(min(left, 0.5))

    def wait_settings(self, timeout=5):
        """The server's first SETTINGS frame, as {SettingCodes: value}."""
        deadline = time.monotonic() + timeout
        while not self.settings_seen and time.monotonic() < deadline and not self.closed:
            self.pump(0.2)
        if not self.settings_seen:
            raise AssertionError("no SETTINGS from the server")
        return self.server_settings

    def ignore_stream_limit(self):
        """Let this client open more streams than the server's
        MAX_CONCURRENT_STREAMS (h2 refuses to, on the client side)."""
        import collections
        code = h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS
        self.conn.remote_settings._settings[code] = collections.deque([1 << 20])

    def wait_closed(self, timeout):
        """Pump until the server closes the connection; returns True if it did."""
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            self.pump(min(0.2, max(0.0, deadline - time.monotonic())))
        return self.closed

    def call(self, path, body=b"", timeout=10, **kw):
        """A whole request (body already framed) → StreamResult."""
        sid = self.start(path, body=body, **kw)
        return self.wait(sid, timeout)


def tls_client_context(ca_pem, alpn=("h2",)):
    ctx = ssl.create_default_context(cadata=ca_pem.decode() if isinstance(ca_pem, bytes) else ca_pem)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    return ctx


def gzip_bytes(data):
    return gzip.compress(data)


def b64_unpadded(data):
    return base64.b64encode(data).rstrip(b"=")


class WatchCollector:
    """Runs a Health/Watch stream in a thread and queues what it delivers:
    ("msg", status) for each message, then ("end", grpc.StatusCode, details)."""

    def __init__(self, channel, service="", timeout=None):
        import queue
        self.q = queue.Queue()
        self.call = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            for m in self.call:
                self.q.put(("msg", m.status))
            self.q.put(("end", grpc.StatusCode.OK, ""))
        except grpc.RpcError as e:
            self.q.put(("end", e.code(), e.details()))
        except Exception as e:  # noqa: BLE001
            self.q.put(("end", None, repr(e)))

    def next(self, timeout):
        import queue
        try:
            return self.q.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"Watch delivered nothing within {timeout}s") from None

    def wait_status(self, status, timeout):
        """Consume messages until one equals status; fail if the stream ends."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"Watch never delivered {status}; saw {seen}")
            ev = self.next(left)
            seen.append(ev)
            if ev[0] == "msg" and ev[1] == status:
                return seen
            if ev[0] == "end":
                raise AssertionError(f"Watch ended before delivering {status}: {seen}")

    def cancel(self):
        self.call.cancel()
        self.thread.join(timeout=10)
