"""`make fuzz`: schemathesis against a server started the way `make run` starts it.

    python -m tests.fuzz.run          # FUZZ_SECONDS (default 120) of fuzzing, seed FUZZ_SEED (default 1)

A fresh database (`POSTHOG_CORE_DB_NAME`, default `posthog_core_fuzz`; dropped and re-created on
the embedded server so a seed replays the same run), gunicorn on a free port, a dedicated key
from `manage.py bootstrap --json`, then `st run` with the five checks the contract promises.
The key cannot be revoked, rolled or re-scoped by the run (tests/fuzz/hooks.py). Exits with
schemathesis's status: 0 only when no check failed. The server's log is kept in
`<data dir>/fuzz-server.log` for the tracebacks behind any 500.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.harness import Http, free_port  # noqa: E402
from tests.fuzz.hooks import PROTECTED_KEY_ENV  # noqa: E402

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
)
FUZZ_EMAIL = "fuzz@example.com"
KEY_LABEL = "fuzz"
CONFIG = Path(__file__).with_name("schemathesis.toml")


def fuzz_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("POSTHOG_CORE_DB_NAME", "posthog_core_fuzz")
    env.setdefault("DJANGO_SETTINGS_MODULE", "posthog_core.settings")
    # Throttles would turn a long run into 429s; the fuzz run is about shapes, not limits.
    env["RATE_LIMIT_ENABLED"] = "0"
    env["PORT"] = str(free_port())
    return env


def reset_database(env: dict[str, str]) -> None:
    """Drop the fuzz database on the embedded server, so each run starts from the same state."""
    if env.get("DATABASE_URL"):
        return  # an external server's database is the operator's to manage
    code = (
        "import os, psycopg; from posthog_core import embedded_db as e; s = e.ensure_server();"
        "c = psycopg.connect(host=s['HOST'], port=s['PORT'], user='postgres', dbname='postgres', autocommit=True);"
        "c.execute('DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)' % e.database_name())"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True).stdout


def key_id(base_url: str, key: str) -> str:
    """The id of the key the run holds: the one newest key labelled `fuzz` of a fresh user."""
    status, body, _ = Http(base_url, {"Authorization": f"Bearer {key}"}).get("/api/personal_api_keys/")
    assert status == 200, (status, body[:200])
    data = json.loads(body)
    rows = data["results"] if isinstance(data, dict) else data
    [row] = [row for row in rows if row["label"] == KEY_LABEL and key.endswith(row["mask_value"][-4:])]
    return row["id"]


def wait_healthy(base_url: str, process: subprocess.Popen) -> None:
    deadline = time.time() + 300  # four workers booting on a busy 2-core machine take a while
    while time.time() < deadline and process.poll() is None:
        try:
            if Http(base_url, timeout=2).get("/_health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not answer /_health within 300 s")


def st_command(base_url: str, key: str) -> list[str]:
    seconds = os.environ.get("FUZZ_SECONDS", "120")
    command = [
        str(Path(sys.executable).parent / "st"), "--config-file", str(CONFIG), "run", f"{base_url}/api/schema/?format=json",
        "--url", base_url,
        "-H", f"Authorization: Bearer {key}",
        "--checks", ",".join(CHECKS),
        "--seed", os.environ.get("FUZZ_SEED", "1"),
        "--max-time", seconds,
        # One worker: with two, hypothesis compiles lambdas' source from two threads, and CPython
        # 3.11's compiler then fails at random ("AST constructor recursion depth mismatch").
        "--workers", os.environ.get("FUZZ_WORKERS", "1"),
        "--request-timeout", "60",
        "--continue-on-failure",
        "--suppress-health-check", "all",
        "--output-truncate", "false",
        "--generation-database", "none",  # the seed alone decides the run
    ]
    if os.environ.get("FUZZ_MAX_EXAMPLES"):
        command += ["--max-examples", os.environ["FUZZ_MAX_EXAMPLES"]]
    return command + sys.argv[1:]


def main() -> int:
    env = fuzz_env()
    reset_database(env)
    manage(env, "migrate", "--noinput", "-v0")
    boot = json.loads(manage(env, "bootstrap", "--email", FUZZ_EMAIL, "--password", "fuzz-password-1",
                             "--organization", "Fuzz", "--project", "Fuzz", "--label", KEY_LABEL, "--json"))
    from posthog_core.embedded_db import data_dir

    log_path = data_dir() / "fuzz-server.log"
    base_url = f"http://127.0.0.1:{env['PORT']}"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:posthog_core.gunicorn_conf", "posthog_core.wsgi"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            wait_healthy(base_url, server)
            st_env = {**env, "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks", "PYTHONPATH": str(ROOT),
                      PROTECTED_KEY_ENV: key_id(base_url, boot["personal_api_key"]),
                      "FUZZ_PROJECT_ID": str(boot["project_id"])}
            command = st_command(base_url, boot["personal_api_key"])
            print("fuzz:", " ".join(arg if "Bearer" not in arg else "Authorization: Bearer phx_…" for arg in command), flush=True)
            return subprocess.run(command, cwd=ROOT, env=st_env).returncode
        finally:
            server.terminate()
            server.wait(timeout=30)
            print(f"fuzz: server log in {log_path}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
