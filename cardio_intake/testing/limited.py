"""Run a command with a wall-clock limit and a hard memory cap (RLIMIT_AS), and measure its peak memory.

The cap is set by a tiny Python shim that calls ``setrlimit`` and then ``exec``s the command, rather
than by ``preexec_fn`` (not safe when the caller runs threads, as the tests do to run cases in
parallel). The limit is inherited by everything the command starts (OCR workers, tesseract), so a
command that finishes under it provably never held more address space than the cap.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass

_SHIM = (
    "import os, resource, sys\n"
    "cap = int(sys.argv[1])\n"
    "resource.setrlimit(resource.RLIMIT_AS, (cap, cap))\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


@dataclass(frozen=True)
class LimitedRun:
    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    max_rss_mb: float  # peak resident memory (VmHWM) of any process of the command's process group
    timed_out: bool


def run_limited(
    cmd: Sequence[str],
    *,
    timeout_s: float,
    memory_mb: int,
    env: dict[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> LimitedRun:
    """Run ``cmd`` (``cmd[0]`` an executable path) under an address-space cap of ``memory_mb``;
    on timeout its whole process group is killed (``timed_out=True``, returncode -9)."""
    argv = [sys.executable, "-c", _SHIM, str(memory_mb * 1024 * 1024), *cmd]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                start_new_session=True)
        timed_out = False
        peak_kb = 0
        while True:
            peak_kb = max(peak_kb, _group_hwm_kb(proc.pid))
            # wait4 rather than Popen.wait: it returns the child's resource usage (peak RSS).
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - t0 > timeout_s:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
        _kill_group(proc.pid)  # workers the command left behind
        out.seek(0)
        err.seek(0)
        return LimitedRun(
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            wall_s=wall,
            # wait4's ru_maxrss is no use here: Linux carries the forking parent's high-water mark into
            # the child across fork and exec, so a command started from a big test process "peaks" at
            # the test process's size. VmHWM belongs to the exec'd image's own memory map.
            max_rss_mb=(peak_kb or usage.ru_maxrss) / 1024,
            timed_out=timed_out,
        )


def _group_hwm_kb(pgid: int) -> int:
    """Largest VmHWM (kB) among the live processes of process group ``pgid`` (0 if none readable)."""
    peak = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:  # fields after "comm)": state, ppid, pgrp, ...
                continue
            with open(f"/proc/{entry.name}/status", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
                        break
        except (OSError, ValueError, IndexError):
            continue  # the process ended between the listing and the read
    return peak


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
