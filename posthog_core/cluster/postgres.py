"""A PostgreSQL primary and its streaming replica, run with the binaries the `pgserver` wheel ships.

PostgreSQL refuses to run as root; as pgserver does, the processes then run as the `pgserver`
system user, which owns the data folders.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import psycopg

REPLICATION_SLOT = "cluster_replica"


def _bin(name: str) -> str:
    from pgserver._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _system_user() -> str | None:
    """The user PostgreSQL runs as: ourselves, or `pgserver` when we are root."""
    if os.geteuid() != 0:
        return None
    from pgserver._commands import POSTGRES_BIN_PATH
    from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists("pgserver")
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
    return "pgserver"


def _own(path: Path, user: str | None) -> None:
    """Create `path` (0700, as PostgreSQL demands) owned by the user the server runs as."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    if user is not None:
        import pwd

        from pgserver.utils import ensure_prefix_permissions

        entry = pwd.getpwnam(user)
        ensure_prefix_permissions(path)
        os.chown(path, entry.pw_uid, entry.pw_gid)


class PostgresProcess:
    """One postmaster on 127.0.0.1:`port` (TCP only), a child of this process."""

    def __init__(self, *, name: str, data_dir: Path, port: int):
        self.name, self.data_dir, self.port = name, data_dir, port
        self.user = _system_user()
        self.process: subprocess.Popen | None = None
        self.log_path = data_dir.parent / f"{name}.log"

    @property
    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres", **kwargs) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname,
                               autocommit=True, connect_timeout=2, **kwargs)

    def _run(self, args: list[str]) -> None:
        subprocess.run(args, check=True, user=self.user, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def init_primary(self) -> None:
        """initdb, and let local replication connections in."""
        _own(self.data_dir, self.user)
        self._run([_bin("initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth=trust", "--encoding=utf8"])
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write("\n# posthog-core cluster\nwal_level = replica\nmax_wal_senders = 10\n"
                       "max_replication_slots = 10\nhot_standby = on\nhot_standby_feedback = on\n"
                       "max_connections = 200\nfsync = on\n")
        with open(self.data_dir / "pg_hba.conf", "a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")

    def init_replica(self, primary: PostgresProcess) -> None:
        """`pg_basebackup -R` from the running primary, through a replication slot so the primary
        keeps the WAL the replica has not received (across its restarts too)."""
        with primary.connect() as conn:
            if conn.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", [REPLICATION_SLOT]).fetchone():
                conn.execute("SELECT pg_drop_replication_slot(%s)", [REPLICATION_SLOT])
        _own(self.data_dir, self.user)
        self._run([_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                   "-D", str(self.data_dir), "-R", "-X", "stream", "-C", "-S", REPLICATION_SLOT, "-c", "fast"])

    def start(self, timeout: float = 60) -> None:
        self._stop_leftover()
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [_bin("postgres"), "-D", str(self.data_dir), "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
             "-c", "unix_socket_directories="],
            user=self.user, stdout=log, stderr=log, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log_path}")
            try:
                with self.connect():
                    return
            except psycopg.OperationalError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not accept connections within {timeout} s; see {self.log_path}")

    def _stop_leftover(self) -> None:
        """A postmaster left running on this folder by an orchestrator that was SIGKILLed."""
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return
        try:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, signal.SIGINT)
        except (ValueError, IndexError, ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 30) -> None:
        """Fast shutdown (SIGINT): open sessions are cut, nothing committed is lost."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def ensure_database(self, name: str) -> None:
        with self.connect() as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')

    def wait_replayed(self, primary: PostgresProcess, timeout: float = 60) -> None:
        """Until this replica has replayed everything the primary wrote so far."""
        with primary.connect() as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        with self.connect() as conn:
            while time.monotonic() < deadline:
                if conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()[0]:
                    return
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not catch up within {timeout} s")
