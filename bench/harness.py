"""Benchmark harness: a real server started the way `make run` starts it, plus timing helpers.

Each benchmark is a module `bench/bench_<name>.py` with `run(ctx: Context) -> None`. It seeds
what it needs (through the ORM or psycopg, in this process), times requests against
`ctx.base_url`, and reports each figure with `ctx.report(...)` as a ratio against a baseline
measured in the same run.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB_NAME = "posthog_core_bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The machine's Redis (db 0), which the rate-limit benchmark and tests use when it answers.
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


class Http:
    """A keep-alive HTTP/1.1 client: one connection, so timings measure the server, not TCP setup."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None, timeout: float = 600):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.headers = headers or {}
        self.timeout = timeout
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | str | dict | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, dict]:
        all_headers = {**self.headers, **(headers or {})}
        if isinstance(body, dict):
            body = json.dumps(body)
            all_headers.setdefault("Content-Type", "application/json")
        try:
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, ConnectionError):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
        data = response.read()
        return response.status, data, dict(response.getheaders())

    def get(self, path: str, **kwargs) -> tuple[int, bytes, dict]:
        return self.request("GET", path, **kwargs)


def time_calls(call: Callable[[], object], count: int, warmup: int = 10) -> list[float]:
    """Latencies in milliseconds of `count` sequential calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


@dataclass
class Context:
    base_url: str
    server_pid: int
    lines: list[str] = field(default_factory=list)

    def http(self, headers: dict[str, str] | None = None) -> Http:
        return Http(self.base_url, headers)

    def report(self, name: str, value: float, unit: str, baseline_name: str, baseline: float) -> None:
        """Print `name: value unit, ratio vs baseline` and keep it for the summary."""
        ratio = value / baseline if baseline else float("inf")
        line = f"{name}: {value:.2f} {unit}, {ratio:.2f}x vs {baseline_name} ({baseline:.2f} {unit})"
        print(line, flush=True)
        self.lines.append(line)

    def note(self, text: str) -> None:
        """A figure that is not a ratio (a count, a target check); printed as is."""
        print(text, flush=True)
        self.lines.append(text)

    def report_latencies(self, name: str, samples: list[float], baseline_name: str, baseline: list[float]) -> None:
        for pct in (50, 99):
            self.report(f"{name}.p{pct}", percentile(samples, pct), "ms", f"{baseline_name}.p{pct}", percentile(baseline, pct))

    def server_rss_mb(self) -> float:
        """Resident memory of the server's workers (largest one), in MB."""
        import psutil

        master = psutil.Process(self.server_pid)
        workers = master.children() or [master]
        return max(worker.memory_info().rss for worker in workers) / 1e6


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("POSTHOG_CORE_DB_NAME", BENCH_DB_NAME)
    env["POSTHOG_CORE_BENCH"] = "1"
    env.setdefault("DJANGO_SETTINGS_MODULE", "posthog_core.settings")
    return env


class Server:
    """gunicorn with `make run`'s configuration, on a free port and the benchmark database."""

    def __init__(self, env: dict[str, str]):
        self.port = free_port()
        self.env = {**env, "PORT": str(self.port)}
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        python = sys.executable
        subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=self.env, check=True)
        self.process = subprocess.Popen(
            [python, "-m", "gunicorn", "-c", "python:posthog_core.gunicorn_conf", "posthog_core.wsgi"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                status, _, _ = Http(self.base_url, timeout=2).get("/_health")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not answer /_health within 60 s")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)


def summarize(samples: list[float]) -> str:
    return f"p50 {percentile(samples, 50):.2f} ms, p99 {percentile(samples, 99):.2f} ms, mean {statistics.mean(samples):.2f} ms"
