"""`make bench`: run every benchmark under bench/ (or those named) against a real server.

    python bench/run.py                 # all bench_*.py
    python bench/run.py me file_system  # bench_me.py and bench_file_system.py

Prints one line per figure (`name: value unit, ratio vs baseline`); exits 1 if any benchmark
fails to run.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import Context, Server, bench_env  # noqa: E402


def discover(names: list[str]) -> list[str]:
    available = sorted(path.stem.removeprefix("bench_") for path in (ROOT / "bench").glob("bench_*.py"))
    unknown = [name for name in names if name not in available]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; available: {available}")
    return names or available


def main(argv: list[str]) -> int:
    names = discover(argv)
    env = bench_env()
    # Throughput runs send thousands of requests with one key: PostHog's limits would cut them off.
    env["RATE_LIMIT_ENABLED"] = "0"
    os.environ.update({key: env[key] for key in ("POSTHOG_CORE_DB_NAME", "POSTHOG_CORE_BENCH", "DJANGO_SETTINGS_MODULE")})
    import django

    django.setup()
    failed = []
    with Server(env) as server:
        for name in names:
            print(f"== {name}", flush=True)
            ctx = Context(base_url=server.base_url, server_pid=server.process.pid)
            try:
                importlib.import_module(f"bench.bench_{name}").run(ctx)
            except Exception:
                traceback.print_exc()
                failed.append(name)
    if failed:
        print(f"FAILED: {', '.join(failed)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
