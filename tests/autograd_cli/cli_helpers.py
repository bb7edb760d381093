"""Running the `autograd-core` app from the tests: as a fresh process (`python -m autograd_cli`, this
checkout first on PYTHONPATH) or in this process through `cli.main` (the console script's code path,
without interpreter start-up)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path, path: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m autograd_cli ARGS` in `cwd`; `path` replaces PATH (e.g. one without `dot`)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.pop("AUTOGRAD_CORE_DEBUG", None)
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "autograd_cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def run_in_process(*args: str, capsys) -> subprocess.CompletedProcess:
    """cli.main(args) in this process, its exit status and captured output as a CompletedProcess."""
    from autograd_cli import cli

    try:
        status = cli.main(list(args))
    except SystemExit as exc:
        status = exc.code
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, status, captured.out, captured.err)
