"""Running the real compilers on generated code: tsc against posthog-js, mypy against the posthog
SDK, go vet/build against the stand-in posthog-go module. Missing tools fail (never skip): CI
installs them through schemas/toolchain/ensure.sh."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLCHAIN = ROOT / "schemas" / "toolchain"
TSC = TOOLCHAIN / "node_modules" / "typescript" / "bin" / "tsc"
GO_STANDIN = TOOLCHAIN / "posthog-go"
INSTALL_HINT = "run `bash schemas/toolchain/ensure.sh` (make test does)"


def run(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=300)


def tsc(workdir: Path, files: dict[str, str]) -> subprocess.CompletedProcess:
    if not TSC.exists() or not shutil.which("node"):
        pytest.fail(f"TypeScript toolchain missing: {INSTALL_HINT}")
    for name, text in files.items():
        (workdir / name).write_text(text, encoding="utf-8")
    link = workdir / "node_modules"
    if not link.exists():
        link.symlink_to(TOOLCHAIN / "node_modules", target_is_directory=True)
    return run(
        ["node", str(TSC), "--strict", "--noEmit", "--skipLibCheck", "--esModuleInterop", "--moduleResolution", "node",
         "--module", "esnext", "--target", "es2020", *files],
        workdir,
    )


def mypy(workdir: Path, files: dict[str, str]) -> subprocess.CompletedProcess:
    for name, text in files.items():
        (workdir / name).write_text(text, encoding="utf-8")
    return run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, *files], workdir
    )


def go_build(workdir: Path, typed_source: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    if not shutil.which("go"):
        pytest.fail(f"Go toolchain missing: {INSTALL_HINT}")
    (workdir / "go.mod").write_text(
        "module example.com/typedcheck\n\ngo 1.19\n\nrequire github.com/posthog/posthog-go v0.0.0\n\n"
        f"replace github.com/posthog/posthog-go => {GO_STANDIN}\n"
    )
    (workdir / "typed").mkdir(exist_ok=True)
    (workdir / "typed" / "typed.go").write_text(typed_source, encoding="utf-8")
    for name, text in (extra or {}).items():
        (workdir / name).parent.mkdir(parents=True, exist_ok=True)
        (workdir / name).write_text(text, encoding="utf-8")
    # The module proxy is unreachable here: everything resolves locally or fails fast.
    env = {"GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOTOOLCHAIN": "local", "GO111MODULE": "on"}
    vet = run(["go", "vet", "./..."], workdir, env)
    if vet.returncode != 0:
        return vet
    return run(["go", "build", "./..."], workdir, env)
