"""Virtualenvs of the benchmark's peers (django-helpdesk, talon), made once under `bench/.cache` and reused.

A peer's dependencies would clash with ours or weigh on every install (talon pulls scikit-learn), so each runs in
an environment of its own, called as a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TAIL_LINES = 20


def cached_virtualenv(folder: Path, requirement: str) -> Path:
    """The python of a virtualenv at `folder` holding `requirement`, installed the first time."""
    venv = folder.absolute()  # the peers' commands may run in another folder
    python, marker = venv / "bin" / "python", venv / ".installed"
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        run([str(python), "-m", "pip", "install", "--quiet", requirement])
        marker.write_text(requirement + "\n")
    return python


def run(command: list[str], cwd: Path | None = None, stdin: str | None = None) -> str:
    """The command's stdout; RuntimeError with the end of its stderr when it fails."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=child_env(), input=stdin)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} exited {done.returncode}:\n{tail(done.stderr)}")
    return done.stdout


def child_env() -> dict[str, str]:
    """Our environment without a virtualenv's or Django's variables, text read as UTF-8 whatever the locale."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "DJANGO_SETTINGS_MODULE")}
    return env | {"PYTHONUTF8": "1"}


def tail(text: str) -> str:
    return "\n".join(text.splitlines()[-TAIL_LINES:])
