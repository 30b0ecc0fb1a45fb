"""Identity and audit: bearer tokens made by the local `rcid token` command
and by rci.v1.AdminService (through python3-grpcio and `rcictl admin`),
listed, expired and revoked; the permission matrix of the admin methods;
the audit trail (every admin action recorded, readable by admin in pages,
append-only); and secrets never stored, only their SHA-256.
(Issue 3 "Identity and permissions", "Audit"; DESIGN §6 "Failing rows".)"""

import datetime
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
import unittest

import grpc
from google.protobuf import timestamp_pb2

import harness
from rci.v1 import admin_pb2, admin_pb2_grpc

UNAUTH_MSG = "missing, invalid, expired or revoked token"
ADMIN_MSG = "admin token required"
SECRET_RE = re.compile(r"^rci_[A-Za-z0-9_-]{43}$")
CST = datetime.timezone(datetime.timedelta(hours=8))
AGENCY = "hz-eeb"          # seeded by migrations/0002_registry.sql
OTHER_AGENCY = "sz-eeb"


def rcid_token(*args, timeout=120, env=None):
    """Run `rcid token ARGS`; returns the CompletedProcess."""
    e = dict(os.environ)
    e.pop("RCI_DATABASE_URL", None)
    if env:
        e.update(env)
    return subprocess.run([harness.RCID, "token"] + list(args), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=e)


def bearer(secret):
    return (("authorization", "Bearer " + secret),)


def ts(dt):
    t = timestamp_pb2.Timestamp()
    t.FromDatetime(dt.astimezone(datetime.timezone.utc).replace(tzinfo=None))
    return t


def sha256_hex(s):
    return hashlib.sha256(s.encode()).hexdigest()


class IdentityTest(harness.RcidTestCase):
    """One rcid on an external PostgreSQL; the first admin token comes from
    `rcid token create --admin --database …` run against the same database."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        p = rcid_token("create", "--admin", "--label", "first admin", "--database",
                       cls.pg.conninfo())
        if p.returncode != 0:
            raise AssertionError(f"rcid token create failed ({p.returncode}):\n{p.stderr}")
        cls.first_out, cls.first_err = p.stdout, p.stderr
        cls.admin = p.stdout.strip()
        m = re.search(r"token (\d+) created", p.stderr)
        cls.admin_id = int(m.group(1)) if m else None

    # -- helpers --

    def stub(self):
        return admin_pb2_grpc.AdminServiceStub(self.rcid.channel())

    def create(self, secret=None, **kw):
        return self.stub().CreateToken(admin_pb2.CreateTokenRequest(**kw),
                                       metadata=bearer(secret or self.admin), timeout=10)

    def new_agency_token(self, agency=AGENCY, **kw):
        r = self.create(agency_code=agency, **kw)
        return r.secret, r.token

    def ctl(self, *args, token=None):
        argv = list(args)
        if token is not False:
            argv = ["--token", token or self.admin] + argv
        return self.rcid.rcictl(*argv)

    def assertUnauthenticated(self, fn, what):
        e = self.assertRpcError(fn, grpc.StatusCode.UNAUTHENTICATED, what)
        self.assertEqual(e.details(), UNAUTH_MSG, what)

    def audit(self, **kw):
        r = self.stub().ListAudit(admin_pb2.ListAuditRequest(**kw), metadata=bearer(self.admin),
                                  timeout=10)
        return r

    # -- the local command --

    def test_local_create_prints_secret_once_on_stdout(self):
        self.assertRegex(self.first_out, r"^rci_[A-Za-z0-9_-]{43}\n$", "stdout is the secret alone")
        self.assertNotIn(self.admin, self.first_err, "the secret must not go to stderr")
        self.assertRegex(self.first_err, r"token \d+ created: admin, label \"first admin\", "
                                         r"prefix rci_[A-Za-z0-9_-]{8}, expires never")
        self.assertIn("shown only this once", self.first_err)
        row = self.pg.psql(f"SELECT admin, agency_code IS NULL, label, prefix, encode(hash, 'hex'),"
                           f" created_by IS NULL FROM tokens WHERE id = {self.admin_id}").strip()
        self.assertEqual(row.split("|"), ["t", "t", "first admin", self.admin[:12],
                                          sha256_hex(self.admin), "t"])

    def test_local_create_is_audited(self):
        rows = self.pg.psql(f"SELECT agency_code IS NULL, token_id IS NULL, peer, request_id, "
                            f"detail->>'token_id', detail->>'via', detail->>'os_uid' FROM audit "
                            f"WHERE action = 'token.create' AND (detail->>'token_id')::bigint = "
                            f"{self.admin_id}").strip().splitlines()
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0].split("|"), ["t", "t", "local", "", str(self.admin_id),
                                              "rcid token", str(os.geteuid())])

    def test_local_agency_token_list_and_revoke(self):
        p = rcid_token("create", "--agency", OTHER_AGENCY, "--label", "深圳 nightly", "--expires",
                       "2099-01-01", "--database", self.pg.conninfo())
        self.assertEqual(p.returncode, 0, p.stderr)
        secret = p.stdout.strip()
        self.assertRegex(secret, SECRET_RE)
        self.assertIn("agency sz-eeb", p.stderr)
        self.assertIn("expires 2099-01-01T00:00:00+08:00", p.stderr)
        tid = int(re.search(r"token (\d+) created", p.stderr).group(1))
        # It works at once for any valid-token read; not for admin.
        self.assertRpcError(lambda: self.stub().ListTokens(admin_pb2.ListTokensRequest(),
                                                           metadata=bearer(secret), timeout=10),
                            grpc.StatusCode.PERMISSION_DENIED)
        p = rcid_token("list", "--agency", OTHER_AGENCY, "--database", self.pg.conninfo())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, rf"(?m)^{tid}\s+sz-eeb\s+no\s+{re.escape(secret[:12])}\s.*"
                                   r"2099-01-01T00:00:00\+08:00\s+-\s+深圳 nightly$")
        self.assertNotIn(secret, p.stdout)
        p = rcid_token("revoke", str(tid), "--database", self.pg.conninfo())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"token {tid} revoked at", p.stderr)
        p = rcid_token("revoke", str(tid), "--database", self.pg.conninfo())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"token {tid} was already revoked", p.stderr)
        p = rcid_token("list", "--database", self.pg.conninfo())
        self.assertNotRegex(p.stdout, rf"(?m)^{tid}\s")
        p = rcid_token("list", "--all", "--database", self.pg.conninfo())
        self.assertRegex(p.stdout, rf"(?m)^{tid}\s")
        self.assertUnauthenticated(
            lambda: self.stub().ListTokens(admin_pb2.ListTokensRequest(), metadata=bearer(secret),
                                           timeout=10), "revoked locally")

    def test_local_usage_errors(self):
        ci = self.pg.conninfo()
        for args, pattern in [
            ((), "which command"),
            (("create", "--database", ci), "--agency CODE, --admin"),
            (("create", "--admin", "--expires", "tomorrow", "--database", ci), "RFC 3339"),
            (("create", "--admin", "--expires", "2027-01-01T00:00:00", "--database", ci),
             "RFC 3339"),
            (("revoke", "--database", ci), "token ID"),
            (("revoke", "abc", "--database", ci), "positive number"),
            (("list", "--label", "x", "--database", ci), "belong to create"),
            (("frobnicate",), "unknown command"),
            (("create", "--admin", "--bogus"), "unknown option"),
            (("create", "--admin", "--database", ci, "--data-dir", "/tmp"), "not both"),
        ]:
            p = rcid_token(*args)
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertIn(pattern, p.stderr, args)
            self.assertEqual(p.stdout, "", args)
        p = rcid_token("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("rcid token create", p.stdout)

    def test_local_failures(self):
        ci = self.pg.conninfo()
        p = rcid_token("create", "--agency", "no-such-agency", "--database", ci)
        self.assertEqual(p.returncode, 1)
        self.assertIn('no agency "no-such-agency"', p.stderr)
        self.assertEqual(p.stdout, "", "no secret for a token that was not made")
        p = rcid_token("create", "--admin", "--expires", "2001-01-01T00:00:00Z", "--database", ci)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not in the future", p.stderr)
        p = rcid_token("create", "--admin", "--expires", "2027-02-30T00:00:00Z", "--database", ci)
        self.assertEqual(p.returncode, 1)
        self.assertIn("out of range", p.stderr)
        p = rcid_token("revoke", "999999", "--database", ci)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no token with id 999999", p.stderr)
        p = rcid_token("list", "--database", "host=/nonexistent dbname=x")
        self.assertEqual(p.returncode, 1)

    # -- AdminService through rcictl --

    def test_rcictl_create_list_revoke(self):
        p = self.ctl("admin", "token", "create", "--agency", AGENCY, "--label", "Huizhou EEB export",
                     "--expires", "2099-06-30T12:00:00+08:00")
        self.assertEqual(p.returncode, 0, p.stderr)
        secret = p.stdout.strip()
        self.assertRegex(p.stdout, r"^rci_[A-Za-z0-9_-]{43}\n$")
        m = re.search(r"token (\d+) created: agency hz-eeb, prefix (\S+), expires "
                      r"2099-06-30T12:00:00\+08:00", p.stderr)
        self.assertTrue(m, p.stderr)
        tid = int(m.group(1))
        self.assertEqual(m.group(2), secret[:12])

        p = self.ctl("--format", "json", "admin", "token", "list", "--agency", AGENCY)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = {int(r["id"]): r for r in json.loads(p.stdout)}
        self.assertIn(tid, rows)
        self.assertEqual(rows[tid]["agency_code"], AGENCY)
        self.assertEqual(rows[tid]["admin"], "false")
        self.assertEqual(rows[tid]["label"], "Huizhou EEB export")
        self.assertEqual(rows[tid]["expires_at"], "2099-06-30T12:00:00+08:00")
        self.assertEqual(rows[tid]["revoked_at"], "")
        self.assertRegex(rows[tid]["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
        self.assertNotIn(secret, p.stdout)
        self.assertNotIn(self.admin_id, rows, "--agency filters")

        p = self.ctl("--format", "csv", "admin", "token", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines()[0],
                         "id,agency_code,admin,prefix,created_at,expires_at,revoked_at,label")

        p = self.ctl("admin", "token", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^ID\s+AGENCY\s+ADMIN\s+PREFIX\s+CREATED\s+EXPIRES\s+REVOKED\s+"
                                   r"LABEL\n")
        self.assertRegex(p.stdout, rf"(?m)^{tid}\s+hz-eeb\s+no\s+")

        # The agency's token is a valid token, but not an admin one.
        p = self.ctl("admin", "token", "list", token=secret)
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"PERMISSION_DENIED: {ADMIN_MSG}", p.stderr)

        p = self.ctl("--format", "json", "admin", "token", "revoke", str(tid))
        self.assertEqual(p.returncode, 0, p.stderr)
        first = json.loads(p.stdout)[0]
        self.assertTrue(first["revoked_at"])
        p = self.ctl("--format", "json", "admin", "token", "revoke", str(tid))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)[0]["revoked_at"], first["revoked_at"],
                         "revoking again keeps the first time")

        p = self.ctl("admin", "token", "list", token=secret)
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"UNAUTHENTICATED: {UNAUTH_MSG}", p.stderr)

        p = self.ctl("--format", "json", "admin", "token", "list", "--agency", AGENCY)
        self.assertNotIn(tid, [int(r["id"]) for r in json.loads(p.stdout)])
        p = self.ctl("--format", "json", "admin", "token", "list", "--agency", AGENCY, "--all")
        self.assertIn(tid, [int(r["id"]) for r in json.loads(p.stdout)])

        p = self.ctl("admin", "token", "revoke", "987654321")
        self.assertEqual(p.returncode, 1)
        self.assertIn("NOT_FOUND: no token with id 987654321", p.stderr)

    def test_rcictl_create_admin_json(self):
        p = self.ctl("--format", "json", "admin", "token", "create", "--admin", "--label", "ops")
        self.assertEqual(p.returncode, 0, p.stderr)
        row = json.loads(p.stdout)[0]
        self.assertRegex(row["secret"], SECRET_RE)
        self.assertEqual(row["admin"], "true")
        self.assertEqual(row["agency_code"], "")
        self.assertEqual(row["expires_at"], "")
        # The new admin token manages tokens too.
        p = self.ctl("admin", "token", "list", token=row["secret"])
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_rcictl_usage(self):
        for args, pattern in [
            (("admin",), "token or audit"),
            (("admin", "nope"), "unknown admin command"),
            (("admin", "token"), "create, list or revoke"),
            (("admin", "token", "create"), "--agency CODE, --admin"),
            (("admin", "token", "create", "--admin", "--expires", "soon"), "RFC 3339"),
            (("admin", "token", "revoke"), "token ID"),
            (("admin", "token", "revoke", "x1"), "positive number"),
            (("admin", "token", "list", "--label", "x"), "belong to create"),
            (("admin", "audit", "--limit", "0"), "--limit"),
            (("admin", "audit", "--since", "yesterday"), "RFC 3339"),
        ]:
            p = self.ctl(*args)
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertIn(pattern, p.stderr, args)
        p = self.ctl("admin", "--help", token=False)
        self.assertEqual(p.returncode, 0)
        self.assertIn("rcictl admin token create", p.stdout)

    def test_rcictl_without_token(self):
        p = self.ctl("admin", "token", "list", token=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"UNAUTHENTICATED: {UNAUTH_MSG}", p.stderr)

    # -- the permission matrix --

    def test_permission_matrix(self):
        agency_secret, _ = self.new_agency_token()
        revoked_secret, revoked = self.new_agency_token(admin=True)
        self.stub().RevokeToken(admin_pb2.RevokeTokenRequest(id=revoked.id),
                                metadata=bearer(self.admin), timeout=10)
        expired_secret, expired = self.new_agency_token(admin=True)
        self.pg.psql(f"UPDATE tokens SET expires_at = now() - interval '1 second' "
                     f"WHERE id = {expired.id}")
        unknown = "rci_" + "A" * 43
        calls = {
            "CreateToken": lambda s, md: s.CreateToken(
                admin_pb2.CreateTokenRequest(agency_code=AGENCY), metadata=md, timeout=10),
            "ListTokens": lambda s, md: s.ListTokens(admin_pb2.ListTokensRequest(), metadata=md,
                                                     timeout=10),
            "RevokeToken": lambda s, md: s.RevokeToken(
                admin_pb2.RevokeTokenRequest(id=revoked.id), metadata=md, timeout=10),
            "ListAudit": lambda s, md: s.ListAudit(admin_pb2.ListAuditRequest(page_size=1),
                                                   metadata=md, timeout=10),
        }
        unauth = {
            "no token": (),
            "empty": (("authorization", ""),),
            "Basic": (("authorization", "Basic " + self.admin),),
            "no scheme": (("authorization", self.admin),),
            "two spaces": (("authorization", "Bearer  " + self.admin),),
            # (A trailing space is refused by HTTP/2 itself, RFC 9113 §8.2.1;
            # tests/unit/test_auth.c covers it.)
            "bad characters": (("authorization", "Bearer " + self.admin[:-1] + "+"),),
            "unknown": bearer(unknown),
            "truncated": bearer(self.admin[:-1]),
            "revoked": bearer(revoked_secret),
            "expired": bearer(expired_secret),
        }
        s = self.stub()
        for name, call in calls.items():
            for why, md in unauth.items():
                self.assertUnauthenticated(lambda: call(s, md), f"{name} with {why}")
            e = self.assertRpcError(lambda: call(s, bearer(agency_secret)),
                                    grpc.StatusCode.PERMISSION_DENIED, f"{name} with agency token")
            self.assertEqual(e.details(), ADMIN_MSG)
            call(s, bearer(self.admin))                       # admin: OK
        # The scheme is case-insensitive.
        s.ListTokens(admin_pb2.ListTokensRequest(),
                     metadata=(("authorization", "bearer " + self.admin),), timeout=10)
        s.ListTokens(admin_pb2.ListTokensRequest(),
                     metadata=(("authorization", "BEARER " + self.admin),), timeout=10)

    def test_token_expires_by_itself(self):
        secret, tok = self.new_agency_token(
            admin=True, expires_at=ts(datetime.datetime.now(CST) + datetime.timedelta(seconds=2)))
        self.assertTrue(tok.HasField("expires_at"))
        s = self.stub()
        s.ListTokens(admin_pb2.ListTokensRequest(), metadata=bearer(secret), timeout=10)

        def refused():
            try:
                s.ListTokens(admin_pb2.ListTokensRequest(), metadata=bearer(secret), timeout=10)
                return False
            except grpc.RpcError as e:
                return e.code() == grpc.StatusCode.UNAUTHENTICATED and e.details() == UNAUTH_MSG
        harness.wait_for(refused, 10, interval=0.2, what="the token to expire")

    # -- the per-loop token cache (platform/auth.c, migrations/0009) --

    def refused_on(self, daemon, secret, calls=6):
        """Whether every one of `calls` reads on separate connections (so
        both event loops of `daemon` answer some) is UNAUTHENTICATED."""
        for _ in range(calls):
            stub = admin_pb2_grpc.AdminServiceStub(daemon.channel(separate=True))
            try:
                stub.ListTokens(admin_pb2.ListTokensRequest(), metadata=bearer(secret), timeout=10)
                return False
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.UNAUTHENTICATED:
                    raise
        return True

    def warm(self, daemon, secret, calls=6):
        for _ in range(calls):
            stub = admin_pb2_grpc.AdminServiceStub(daemon.channel(separate=True))
            stub.ListTokens(admin_pb2.ListTokensRequest(), metadata=bearer(secret), timeout=10)

    def test_revocation_reaches_every_loop_of_every_daemon(self):
        """Both daemons cache the token on both loops; a revocation through
        one reaches the other by NOTIFY well before the cache's 60 s."""
        other = self.make_rcid()
        other.start()
        self.addCleanup(other.stop_ok, self)
        secret, tok = self.new_agency_token(admin=True)
        self.warm(self.rcid, secret)
        self.warm(other, secret)
        ch = self.rcid.channel(separate=True)
        admin_pb2_grpc.AdminServiceStub(ch).RevokeToken(
            admin_pb2.RevokeTokenRequest(id=tok.id), metadata=bearer(self.admin), timeout=10)
        # The loop that revoked forgets at once; the daemon's other loop and
        # the other daemon within milliseconds, by NOTIFY.
        self.assertUnauthenticated(
            lambda: admin_pb2_grpc.AdminServiceStub(ch).ListTokens(
                admin_pb2.ListTokensRequest(), metadata=bearer(secret), timeout=10),
            "the revoking loop, at once")
        for daemon in (self.rcid, other):
            harness.wait_for(lambda: self.refused_on(daemon, secret), 5, interval=0.05,
                             what="every loop of both daemons to hear of the revocation")

    def test_revocation_in_sql_and_a_lost_listener(self):
        """A change made in SQL is heard too; and when the listening
        connection is killed, whatever happened meanwhile still counts."""
        secret, tok = self.new_agency_token(admin=True)
        self.warm(self.rcid, secret)
        self.pg.psql(f"UPDATE tokens SET revoked_at = now() WHERE id = {tok.id}")
        harness.wait_for(lambda: self.refused_on(self.rcid, secret), 5, interval=0.05,
                         what="the revocation made in SQL to be heard")
        secret, tok = self.new_agency_token(admin=True)
        self.warm(self.rcid, secret)
        killed = self.pg.psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                              "WHERE query LIKE 'LISTEN rci_tokens%' AND pid <> pg_backend_pid()")
        self.assertGreaterEqual(int(killed.strip()), 2, "one listener per event loop")
        self.pg.psql(f"UPDATE tokens SET revoked_at = now() WHERE id = {tok.id}")
        harness.wait_for(lambda: self.refused_on(self.rcid, secret), 5, interval=0.05,
                         what="the revocation made while the listener was down to count")
        harness.wait_for(lambda: int(self.pg.psql(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN rci_tokens%'")) >= 2,
            10, what="the listeners to come back")

    def test_scope_change_is_heard(self):
        """An agency's domains are part of the cached identity."""
        secret, tok = self.new_agency_token(admin=False)
        self.warm(self.rcid, secret, calls=0)
        stub = admin_pb2_grpc.AdminServiceStub(self.rcid.channel())
        self.assertRpcError(lambda: stub.ListTokens(admin_pb2.ListTokensRequest(),
                                                    metadata=bearer(secret), timeout=10),
                            grpc.StatusCode.PERMISSION_DENIED)
        self.pg.psql(f"UPDATE tokens SET admin = true WHERE id = {tok.id}")
        harness.wait_for(lambda: self.allowed(stub, secret), 5, interval=0.05,
                         what="the token's new admin scope to be heard")

    def allowed(self, stub, secret):
        try:
            stub.ListTokens(admin_pb2.ListTokensRequest(), metadata=bearer(secret), timeout=10)
            return True
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.PERMISSION_DENIED:
                raise
            return False

    def test_token_checked_before_validation(self):
        # DESIGN §6: token → scope → validation. A bad request without a
        # valid token is UNAUTHENTICATED, with an agency token PERMISSION_DENIED.
        bad = admin_pb2.CreateTokenRequest()               # neither agency nor admin
        s = self.stub()
        self.assertUnauthenticated(lambda: s.CreateToken(bad, timeout=10), "bad request, no token")
        agency_secret, _ = self.new_agency_token()
        self.assertRpcError(lambda: s.CreateToken(bad, metadata=bearer(agency_secret), timeout=10),
                            grpc.StatusCode.PERMISSION_DENIED)
        self.assertRpcError(lambda: s.CreateToken(bad, metadata=bearer(self.admin), timeout=10),
                            grpc.StatusCode.INVALID_ARGUMENT)

    # -- calls that end while their query runs --

    def hold_lock(self, table, seconds):
        """A psql session that holds ACCESS EXCLUSIVE on table for seconds."""
        cmd = [os.path.join(self.pg.bindir, "psql"), "-X", "-q", "-h", self.pg.sockdir, "-U",
               self.pg.user, "-d", self.pg.dbname, "-c",
               f"BEGIN; LOCK TABLE {table}; SELECT pg_sleep({seconds}); COMMIT"]
        if harness.IS_ROOT:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp")
        self.addCleanup(p.kill)
        harness.wait_for(lambda: self.pg.psql(
            f"SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            f"WHERE c.relname = '{table}' AND l.mode = 'AccessExclusiveLock' AND l.granted"
        ).strip() == "1", 10, what=f"the lock on {table}")
        return p

    def test_calls_ending_mid_query(self):
        # The token lookup (blocked on tokens) and then the admin statement
        # (blocked on audit) outlive the calls' deadlines: the calls end with
        # DEADLINE_EXCEEDED, their state is released (ASan builds check at
        # exit that nothing leaked), and the daemon goes on serving.
        s = self.stub()
        for table in ("tokens", "audit"):
            locker = self.hold_lock(table, 3)
            for req, method in ((admin_pb2.CreateTokenRequest(admin=True), s.CreateToken),
                                (admin_pb2.ListTokensRequest(), s.ListTokens),
                                (admin_pb2.ListAuditRequest(), s.ListAudit)):
                self.assertRpcError(lambda: method(req, metadata=bearer(self.admin), timeout=0.3),
                                    grpc.StatusCode.DEADLINE_EXCEEDED, f"{table} locked")
            locker.wait(timeout=30)
        s.ListTokens(admin_pb2.ListTokensRequest(), metadata=bearer(self.admin), timeout=10)
        self.assertServerHealthy()

    # -- validation --

    def test_create_validation(self):
        s = self.stub()
        md = bearer(self.admin)
        past = ts(datetime.datetime.now(CST) - datetime.timedelta(minutes=1))
        cases = [
            (admin_pb2.CreateTokenRequest(), grpc.StatusCode.INVALID_ARGUMENT, "agency_code"),
            (admin_pb2.CreateTokenRequest(agency_code="no-such-agency"), grpc.StatusCode.NOT_FOUND,
             'no agency "no-such-agency"'),
            (admin_pb2.CreateTokenRequest(agency_code="x" * 65), grpc.StatusCode.INVALID_ARGUMENT,
             "agency_code"),
            (admin_pb2.CreateTokenRequest(admin=True, expires_at=past),
             grpc.StatusCode.INVALID_ARGUMENT, "expires_at: must be in the future"),
            (admin_pb2.CreateTokenRequest(admin=True, label="标" * 201),
             grpc.StatusCode.INVALID_ARGUMENT, "label"),
            (admin_pb2.CreateTokenRequest(admin=True, expires_at=timestamp_pb2.Timestamp(
                seconds=4102444800, nanos=-1)), grpc.StatusCode.INVALID_ARGUMENT, "expires_at"),
            (admin_pb2.CreateTokenRequest(admin=True, expires_at=timestamp_pb2.Timestamp(
                seconds=253402300800)), grpc.StatusCode.INVALID_ARGUMENT, "expires_at"),
        ]
        before = self.pg.psql("SELECT count(*) FROM tokens").strip()
        for req, code, text in cases:
            e = self.assertRpcError(lambda: s.CreateToken(req, metadata=md, timeout=10), code,
                                    str(req)[:80])
            self.assertIn(text, e.details())
        self.assertEqual(self.pg.psql("SELECT count(*) FROM tokens").strip(), before,
                         "nothing written by a refused CreateToken")
        # 200 characters is fine, and so is an admin token that acts for an agency.
        r = s.CreateToken(admin_pb2.CreateTokenRequest(agency_code=AGENCY, admin=True,
                                                       label="标" * 200), metadata=md, timeout=10)
        self.assertTrue(r.token.admin)
        self.assertEqual(r.token.agency_code, AGENCY)
        self.assertEqual(r.token.prefix, r.secret[:12])
        self.assertFalse(r.token.HasField("expires_at"))
        self.assertFalse(r.token.HasField("revoked_at"))

    def test_revoke_validation(self):
        s = self.stub()
        for bad in (0, -5):
            self.assertRpcError(lambda: s.RevokeToken(admin_pb2.RevokeTokenRequest(id=bad),
                                                      metadata=bearer(self.admin), timeout=10),
                                grpc.StatusCode.INVALID_ARGUMENT)
        e = self.assertRpcError(lambda: s.RevokeToken(admin_pb2.RevokeTokenRequest(id=2 ** 62),
                                                      metadata=bearer(self.admin), timeout=10),
                                grpc.StatusCode.NOT_FOUND)
        self.assertIn("no token with id", e.details())

    def test_tokens_are_unique_and_random(self):
        secrets = {self.new_agency_token()[0] for _ in range(20)}
        self.assertEqual(len(secrets), 20)
        for sec in secrets:
            self.assertRegex(sec, SECRET_RE)

    # -- secrets are never stored --

    def test_secret_never_stored(self):
        secret, tok = self.new_agency_token(label="stored?")
        self.stub().RevokeToken(admin_pb2.RevokeTokenRequest(id=tok.id),
                                metadata=bearer(self.admin), timeout=10)
        row = self.pg.psql(f"SELECT encode(hash, 'hex'), prefix FROM tokens WHERE id = {tok.id}")
        self.assertEqual(row.strip().split("|"), [sha256_hex(secret), secret[:12]])
        # No table holds the secret (or its tail past the prefix) in any column.
        dump = subprocess.run(
            (["runuser", "-u", "postgres", "--"] if harness.IS_ROOT else []) +
            [os.path.join(self.pg.bindir, "pg_dump"), "-h", self.pg.sockdir, "-U", self.pg.user,
             "-d", self.pg.dbname, "--data-only"],
            capture_output=True, text=True, timeout=60, cwd="/tmp")
        self.assertEqual(dump.returncode, 0, dump.stderr)
        self.assertIn(secret[:12], dump.stdout)               # the prefix is kept ...
        for s in (secret, self.admin, secret[12:], self.admin[12:]):
            self.assertNotIn(s, dump.stdout)                  # ... never the secret
        self.assertNotIn(secret, self.rcid.log(), "the secret is not logged")

    # -- the audit trail --

    def test_admin_actions_are_audited(self):
        rid = "req-" + os.urandom(6).hex()
        md = bearer(self.admin) + (("x-request-id", rid),)
        s = self.stub()
        r = s.CreateToken(admin_pb2.CreateTokenRequest(agency_code=AGENCY, label="audited"),
                          metadata=md, timeout=10)
        s.RevokeToken(admin_pb2.RevokeTokenRequest(id=r.token.id), metadata=md, timeout=10)
        s.RevokeToken(admin_pb2.RevokeTokenRequest(id=r.token.id), metadata=md, timeout=10)
        s.ListTokens(admin_pb2.ListTokensRequest(agency_code=AGENCY), metadata=md, timeout=10)
        s.ListAudit(admin_pb2.ListAuditRequest(action="token.create"), metadata=md, timeout=10)
        entries = [e for e in self.audit(page_size=1000).entries if e.request_id == rid]
        actions = [e.action for e in reversed(entries)]
        self.assertEqual(actions, ["token.create", "token.revoke", "token.revoke", "token.list",
                                   "audit.list"])
        for e in entries:
            self.assertEqual(e.token_id, self.admin_id)
            self.assertEqual(e.agency_code, "")
            self.assertRegex(e.peer, r"^(127\.0\.0\.1|\[::1\]):\d+$")
            self.assertTrue(e.HasField("at"))
            age = time.time() - e.at.ToSeconds()
            self.assertTrue(-5 < age < 120, age)
        d = [json.loads(e.detail) for e in reversed(entries)]
        self.assertEqual(d[0]["token_id"], r.token.id)
        self.assertEqual(d[0]["agency_code"], AGENCY)
        self.assertEqual(d[0]["label"], "audited")
        self.assertEqual(d[0]["prefix"], r.secret[:12])
        self.assertEqual(d[1], {"token_id": r.token.id, "agency_code": AGENCY,
                                "already_revoked": False})
        self.assertTrue(d[2]["already_revoked"])
        self.assertEqual(d[3], {"agency_code": AGENCY, "include_revoked": False})
        self.assertEqual(d[4], {"action": "token.create"})
        for e in entries:
            self.assertNotIn(r.secret, e.detail)

    def test_refused_calls_write_nothing(self):
        n = lambda: self.pg.psql("SELECT count(*) FROM audit").strip()   # noqa: E731
        before = n()
        agency_secret, _ = self.new_agency_token()
        before = n()
        s = self.stub()
        self.assertRpcError(lambda: s.ListTokens(admin_pb2.ListTokensRequest(), timeout=10),
                            grpc.StatusCode.UNAUTHENTICATED)
        self.assertRpcError(lambda: s.ListTokens(admin_pb2.ListTokensRequest(),
                                                 metadata=bearer(agency_secret), timeout=10),
                            grpc.StatusCode.PERMISSION_DENIED)
        self.assertRpcError(lambda: s.CreateToken(admin_pb2.CreateTokenRequest(agency_code="nope-x"),
                                                  metadata=bearer(self.admin), timeout=10),
                            grpc.StatusCode.NOT_FOUND)
        self.assertEqual(n(), before)

    def test_list_audit_paging_and_filters(self):
        s = self.stub()
        for i in range(5):
            s.CreateToken(admin_pb2.CreateTokenRequest(admin=True, label=f"page {i}"),
                          metadata=bearer(self.admin), timeout=10)
        everything = [e.id for e in self.audit(page_size=1000).entries]
        self.assertEqual(everything, sorted(everything, reverse=True), "newest first")
        seen, token, pages = [], "", 0
        while True:
            r = self.audit(page_size=3, page_token=token)
            self.assertLessEqual(len(r.entries), 3)
            seen += [e.id for e in r.entries]
            pages += 1
            token = r.next_page_token
            if not token:
                break
        self.assertGreater(pages, 1)
        self.assertEqual(len(seen), len(set(seen)), "an entry on two pages")
        self.assertEqual(seen, sorted(seen, reverse=True))
        # Everything in the full listing is in the paged walk (the walk's own
        # audit.list rows are newer than the full listing).
        self.assertTrue(set(everything) <= set(seen))

        creates = self.audit(action="token.create", page_size=1000).entries
        self.assertGreaterEqual(len(creates), 6)
        self.assertEqual({e.action for e in creates}, {"token.create"})
        self.assertEqual(len(self.audit(action="no.such", page_size=10).entries), 0)
        self.assertEqual(len(self.audit(agency_code=AGENCY + "-none").entries), 0)

        mid = creates[2].at
        newer = self.audit(action="token.create", since=mid, page_size=1000).entries
        older = self.audit(action="token.create", until=mid, page_size=1000).entries
        self.assertEqual(len(newer) + len(older), len(creates))
        self.assertTrue(all(e.at.ToNanoseconds() >= mid.ToNanoseconds() for e in newer))
        self.assertTrue(all(e.at.ToNanoseconds() < mid.ToNanoseconds() for e in older))

        # The default page is 100; more than 1000 is capped, not refused.
        self.assertLessEqual(len(self.audit().entries), 100)
        self.audit(page_size=5000)
        for req, field in [(admin_pb2.ListAuditRequest(page_size=-1), "page_size"),
                           (admin_pb2.ListAuditRequest(page_token="garbage"), "page_token"),
                           (admin_pb2.ListAuditRequest(page_token="a0"), "page_token"),
                           (admin_pb2.ListAuditRequest(page_token="a-5"), "page_token"),
                           (admin_pb2.ListAuditRequest(since=mid, until=mid), "until"),
                           (admin_pb2.ListAuditRequest(action="x" * 200), "action")]:
            e = self.assertRpcError(lambda: s.ListAudit(req, metadata=bearer(self.admin),
                                                        timeout=10),
                                    grpc.StatusCode.INVALID_ARGUMENT, field)
            self.assertIn(field, e.details())

    def test_rcictl_audit(self):
        self.ctl("admin", "token", "create", "--admin", "--label", "for rcictl audit")
        p = self.ctl("--format", "json", "admin", "audit", "--action", "token.create",
                     "--limit", "3")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = json.loads(p.stdout)
        self.assertTrue(1 <= len(rows) <= 3, rows)
        self.assertEqual(set(rows[0]), {"id", "at", "agency_code", "token_id", "action",
                                        "request_id", "peer", "detail"})
        self.assertTrue(all(r["action"] == "token.create" for r in rows))
        self.assertRegex(rows[0]["at"], r"\+08:00$")
        self.assertEqual(json.loads(rows[0]["detail"])["label"], "for rcictl audit")
        # --limit larger than a page follows next_page_token.
        p = self.ctl("--format", "csv", "admin", "audit", "--limit", "1500")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "id,at,agency_code,token_id,action,request_id,peer,detail")
        total = int(self.pg.psql("SELECT count(*) FROM audit").strip())
        self.assertGreaterEqual(len(lines) - 1, min(total - 1, 1500) - 5)
        p = self.ctl("admin", "audit", "--since", "2000-01-01", "--limit", "5")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^ID\s+AT\s+AGENCY\s+TOKEN\s+ACTION\s+REQUEST_ID\s+PEER\s+DETAIL\n")

    def test_audit_is_append_only(self):
        self.assertGreater(int(self.pg.psql("SELECT count(*) FROM audit").strip()), 0)
        for sql in ("UPDATE audit SET action = 'forged'",
                    "UPDATE audit SET peer = 'x' WHERE id = -1",      # even touching no row
                    "DELETE FROM audit",
                    "DELETE FROM audit WHERE id = -1",
                    "TRUNCATE audit"):
            with self.assertRaises(RuntimeError, msg=sql) as cm:
                self.pg.psql(sql)
            self.assertIn("audit is append-only", str(cm.exception), sql)
        self.assertEqual(self.pg.psql("SELECT count(*) FROM audit WHERE action = 'forged'").strip(),
                         "0")
        # rci_audit appends and answers the new id.
        new_id = int(self.pg.psql("SELECT rci_audit('', NULL, 'test.append', 'r1', 'psql', "
                                  "'{\"k\": 1}')").strip())
        row = self.pg.psql(f"SELECT agency_code IS NULL, token_id IS NULL, action, request_id, peer,"
                           f" detail->>'k' FROM audit WHERE id = {new_id}").strip()
        self.assertEqual(row.split("|"), ["t", "t", "test.append", "r1", "psql", "1"])
        with self.assertRaises(RuntimeError):
            self.pg.psql("SELECT rci_audit('', NULL, '', '', '', '{}')")     # empty action

    def test_schema_constraints(self):
        # Neither agency nor admin: refused by the table itself.
        with self.assertRaises(RuntimeError) as cm:
            self.pg.psql("INSERT INTO tokens (hash, prefix) VALUES (decode(repeat('ab', 32), 'hex'),"
                         " 'x')")
        self.assertIn("check constraint", str(cm.exception))
        with self.assertRaises(RuntimeError) as cm:
            self.pg.psql("INSERT INTO tokens (agency_code, hash, prefix) VALUES ('no-such', "
                         "decode(repeat('cd', 32), 'hex'), 'x')")
        self.assertIn("foreign key", str(cm.exception))


class LocalTokenEmbeddedTest(unittest.TestCase):
    """`rcid token` with no --database: the embedded cluster in --data-dir,
    started for the command when no rcid runs it, or reached through the
    running rcid's socket."""

    def setUp(self):
        self.dir = harness.make_temp_dir("rci-tok-")
        self.addCleanup(self.cleanup_dir)
        self.rcid = harness.Rcid(data_dir=self.dir)
        self.addCleanup(self.rcid.cleanup)

    def cleanup_dir(self):
        for pid, _, _ in harness.processes_using(self.dir):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def leftovers(self):
        return [(p, c) for p, c, _ in harness.processes_using(self.dir) if not harness.is_zombie(p)]

    def test_embedded_without_and_with_rcid(self):
        # Nothing to list or revoke in a directory with no cluster yet.
        for args in (("list",), ("revoke", "1")):
            p = rcid_token(*args, "--data-dir", self.dir)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("no embedded cluster", p.stderr)
        self.assertEqual(os.listdir(self.dir), [])
        # No rcid yet, not even an initialised directory: the command makes
        # the cluster, applies the migrations, makes the token, stops it.
        p = rcid_token("create", "--admin", "--label", "bootstrap", "--data-dir", self.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        admin = p.stdout.strip()
        self.assertRegex(admin, SECRET_RE)
        self.assertIn("starting the embedded PostgreSQL", p.stderr)
        self.assertEqual(self.leftovers(), [], "the command left PostgreSQL running")

        # rcid on the same directory accepts the token.
        self.rcid.start(timeout=harness.EMBEDDED_START_TIMEOUT)
        stub = admin_pb2_grpc.AdminServiceStub(self.rcid.channel())
        r = stub.ListTokens(admin_pb2.ListTokensRequest(), metadata=bearer(admin), timeout=10)
        self.assertEqual([t.label for t in r.tokens], ["bootstrap"])

        # While rcid runs, the command goes through its socket.
        p = rcid_token("create", "--agency", AGENCY, "--data-dir", self.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("using the embedded PostgreSQL of the rcid running", p.stderr)
        agency = p.stdout.strip()
        self.assertRpcPermissionDenied(stub, agency)
        p = rcid_token("list", "--data-dir", self.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len([l for l in p.stdout.splitlines()[1:] if l.strip()]), 2, p.stdout)
        self.rcid.stop_ok(self)
        self.assertEqual(self.leftovers(), [])

    def assertRpcPermissionDenied(self, stub, secret):
        try:
            stub.ListTokens(admin_pb2.ListTokensRequest(), metadata=bearer(secret), timeout=10)
        except grpc.RpcError as e:
            self.assertEqual(e.code(), grpc.StatusCode.PERMISSION_DENIED)
            return
        self.fail("an agency token listed tokens")


if __name__ == "__main__":
    unittest.main()
