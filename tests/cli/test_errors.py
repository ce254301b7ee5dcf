"""The one error handler and a closed stdout: `culture-logistics … | head` stops quietly.

A real pipe whose read end is closed before the command writes (what ``head`` leaves behind once it has
its lines, without the race of waiting for it): the first write gets EPIPE, as it would in the shell.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT

EXIT_BROKEN_PIPE = 141


def _run_into_closed_pipe(args, stderr_too=False, code=None):
    """Run the CLI (or ``python -c code``) with stdout (and stderr) on a pipe nobody reads any more."""
    r, w = os.pipe()
    os.close(r)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONIOENCODING="utf-8")
    cmd = [sys.executable, "-c", code] if code else [sys.executable, str(ROOT / "cli.py"), *args]
    try:
        return subprocess.run(cmd, stdout=w, stderr=w if stderr_too else subprocess.PIPE, text=True, env=env,
                              timeout=120)
    finally:
        os.close(w)


@pytest.mark.parametrize("args", [["datasets"], ["datasets", "--json"], ["--help"], ["route", "--help"],
                                  ["--version"]])
def test_closed_stdout_exits_quietly(args):
    p = _run_into_closed_pipe(args)
    assert p.returncode == EXIT_BROKEN_PIPE
    assert p.stderr == ""                # no "internal error", no traceback, no "Exception ignored"


@pytest.mark.parametrize("args", [["demo", "--time-limit", "0"], ["demo", "--county", "999999"]])
def test_closed_stderr_keeps_the_exit_code_of_the_error(args):
    # `culture-logistics demo --time-limit 0 2>&1 | head -1`: the message is lost, the exit code is not
    p = _run_into_closed_pipe(args, stderr_too=True)
    assert p.returncode == 2


@pytest.mark.slow
def test_closed_stderr_keeps_the_exit_code_of_a_scenario_error():
    p = _run_into_closed_pipe(["validate", "missing.toml"], stderr_too=True)
    assert p.returncode == 2


def test_head_in_the_shell_reads_its_lines_and_nothing_is_reported(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONIOENCODING="utf-8")
    script = f'"{sys.executable}" "{ROOT / "cli.py"}" datasets | head -1; echo "status ${{PIPESTATUS[0]}}" >&2'
    p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert p.stdout.split() == ["code", "name", "townships", "villages", "postal", "supply_coop", "courier",
                                "shared"]
    assert p.stderr.strip() in ("status 0", f"status {EXIT_BROKEN_PIPE}")  # 0 when it wrote all before head left


def test_another_broken_pipe_is_still_a_bug_report():
    # a BrokenPipeError that is not our stdout's (a subprocess, a socket) must not be hidden
    code = ("from culture_logistics.cli.errors import guarded\n"
            "def run():\n    raise BrokenPipeError(32, 'Broken pipe')\n"
            "guarded(run)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONIOENCODING="utf-8")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 1
    assert p.stderr.startswith("internal error: BrokenPipeError: [Errno 32] Broken pipe\n")


@pytest.mark.slow
def test_validate_into_a_closed_pipe_exits_quietly():
    p = _run_into_closed_pipe(["validate", "370782"])
    assert p.returncode == EXIT_BROKEN_PIPE and p.stderr == ""
