"""The embedded default: rcid with no --database runs a private PostgreSQL
15 in --data-dir (initdb on first start, Unix socket only, as the
`postgres` user when rcid runs as root), stops it on shutdown leaving no
process behind, starts again on an initialised directory, and recovers
after rcid (and PostgreSQL) were killed with SIGKILL.
(Issue 2 "Embedded default"; DESIGN §3, §6.)"""

import os
import pwd
import shutil
import signal
import tempfile
import unittest

import harness


def listening_tcp_inodes():
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[3] == "0A":   # LISTEN
                        inodes.add(parts[9])
        except OSError:
            pass
    return inodes


def socket_inodes(pid):
    out = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                out.add(link[8:-1])
    except OSError:
        pass
    return out


class EmbeddedTest(unittest.TestCase):

    def setUp(self):
        self.dir = harness.make_temp_dir("rci-emb-")
        self.addCleanup(self.cleanup_dir)
        self.rcid = harness.Rcid(data_dir=self.dir)
        self.addCleanup(self.rcid.cleanup)

    def cleanup_dir(self):
        # Whatever the test left running on this data dir goes first.
        for pid, _, _ in harness.processes_using(self.dir):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self):
        self.rcid.start(timeout=harness.EMBEDDED_START_TIMEOUT)

    def serves(self):
        r = self.rcid.list_regions()
        self.assertIn("440300", [x.code for x in r.regions])
        self.assertEqual(len(r.regions), 19)

    def leftovers(self):
        return [(p, c, w) for p, c, w in harness.processes_using(self.dir)
                if not harness.is_zombie(p)]

    def postmasters(self):
        """Running processes whose command line names the data dir (the postmaster)."""
        path = os.path.realpath(self.dir)
        return [p for p, _, cmd, _ in harness.processes()
                if path in cmd and "postgres" in cmd and not harness.is_zombie(p)
                and p != self.rcid.proc.pid]

    def assertStoppedCleanly(self):
        code = self.rcid.stop()
        self.assertEqual(code, 0, f"rcid exit code {code}\n{self.rcid.log_tail()}")
        left = self.leftovers()
        self.assertEqual(left, [], "processes left behind on the data dir after rcid exited")

    def test_first_start_restart_and_kill_9(self):
        # First start: initdb, migrate, serve.
        self.start()
        self.serves()
        self.assertTrue(os.path.isdir(os.path.join(self.dir, "pg")),
                        "the cluster should live in DATA_DIR/pg")
        pms = self.postmasters()
        self.assertEqual(len(pms), 1, f"expected one postmaster on {self.dir}, found {pms}")
        pm = pms[0]
        if harness.IS_ROOT:
            self.assertEqual(os.stat(f"/proc/{pm}").st_uid, pwd.getpwnam("postgres").pw_uid,
                             "PostgreSQL must run as the postgres user when rcid is root")
        # Unix socket only: the cluster listens on no TCP port.
        tcp = socket_inodes(pm) & listening_tcp_inodes()
        self.assertEqual(tcp, set(), "the embedded PostgreSQL listens on TCP")

        self.assertEqual(self.rcid.check(""), harness.SERVING)
        p = self.rcid.rcictl("health")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("SERVING", p.stdout)

        # Clean stop: exit 0, nothing left.
        self.assertStoppedCleanly()

        # Second start on the initialised directory.
        self.start()
        self.serves()
        self.assertNotRegex(self.rcid.log(), r"(?i)initdb.*(fail|error)")

        # kill -9 rcid: PostgreSQL is orphaned; the next start recovers it.
        self.rcid.kill()
        self.start()
        self.serves()
        self.assertEqual(len(self.postmasters()), 1, "two clusters on one data dir")
        self.assertStoppedCleanly()

    def test_kill_9_of_rcid_and_postgres(self):
        self.start()
        self.serves()
        pms = self.postmasters()
        self.assertEqual(len(pms), 1, pms)
        self.rcid.kill()
        os.kill(pms[0], signal.SIGKILL)
        # Backends notice their postmaster is gone and exit; wait for that,
        # and for the dead postmaster to be reaped (PostgreSQL takes a PID
        # that still exists, even as a zombie, for a running postmaster).
        harness.wait_for(lambda: not self.leftovers() and not harness.pid_exists(pms[0]), 15,
                         what="the killed cluster's processes to go away")
        self.start()
        self.serves()
        self.assertStoppedCleanly()

    @unittest.skipUnless(harness.IS_ROOT, "only root hands the cluster to the postgres user")
    def test_unreachable_data_dir_is_refused(self):
        # mkdtemp makes 0700 dirs: postgres cannot enter this one (DESIGN §6).
        locked = tempfile.mkdtemp(prefix="rci-locked-", dir="/tmp")
        self.addCleanup(shutil.rmtree, locked, True)
        target = os.path.join(locked, "data")
        r = harness.Rcid(data_dir=target)
        self.addCleanup(r.cleanup)
        r.spawn()
        code = r.wait_exit(30)
        self.assertIsNotNone(code, "rcid kept running with a data dir postgres cannot reach")
        self.assertNotEqual(code, 0)
        log = r.log()
        self.assertIn(locked, log, f"the message should name the path:\n{log[-2000:]}")
        self.assertRegex(log, r"(?i)postgres", log[-2000:])
        self.assertEqual(harness.processes_using(locked), [])


if __name__ == "__main__":
    unittest.main()
