"""scripts/lib/supervise.sh, the supervision shared by scripts/run.sh and scripts/run-prod.sh,
driven with dummy processes: all start, one dying stops the rest with its exit status, and
SIGTERM stops every process (and every log pipe) with nothing left behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _harness(tmp_path: Path, second: str, ready_port: int | None) -> Path:
    """A run script in miniature: a tiny web server (checked for readiness, or ``ready_port``
    instead), a sleeper, and ``second`` (shell code without single quotes) as the third
    process; each writes its pid to ``NAME.pid``."""
    port = _free_port()
    script = tmp_path / "run-dummy.sh"
    script.write_text(
        f"""set -euo pipefail
cd {ROOT}
. scripts/lib/supervise.sh
sv_start web sh -c 'echo $$ > {tmp_path}/web.pid; exec "$SV_PYTHON" -m http.server --bind 127.0.0.1 {port}'
sv_start sleeper sh -c 'echo $$ > {tmp_path}/sleeper.pid; exec sleep 300'
sv_start second sh -c 'echo $$ > {tmp_path}/second.pid; {second}'
sv_wait_ready 30 "http://127.0.0.1:{ready_port or port}/"
echo "Ready on {port}."
sv_wait
""",
        encoding="utf-8",
    )
    return script


def _start(tmp_path: Path, second: str, ready_port: int | None = None) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "SV_PYTHON": sys.executable,
        "SV_LOG_DIR": str(tmp_path / "log"),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        ["bash", str(_harness(tmp_path, second, ready_port))],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def _leftovers(tmp_path: Path) -> list[str]:
    """Live processes whose command line names this test's directory (the log pipes)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(tmp_path) in cmdline and _alive(int(entry.name)):
            found.append(cmdline)
    return found


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_all_start_and_sigterm_stops_every_one(tmp_path: Path) -> None:
    proc = _start(tmp_path, "exec sleep 300")
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Ready on"), line
        pids = [int((tmp_path / f"{n}.pid").read_text()) for n in ("web", "sleeper", "second")]
        assert all(_alive(pid) for pid in pids)
        # Each process's output goes to its own log file through bot.logpipe.
        deadline = time.monotonic() + 30
        while len(list((tmp_path / "log").glob("*.log"))) < 3:
            assert time.monotonic() < deadline, "not every process got its log file"
            time.sleep(0.1)
        assert sorted(p.name for p in (tmp_path / "log").glob("*.log")) == [
            "second.log",
            "sleeper.log",
            "web.log",
        ]
        proc.send_signal(signal.SIGTERM)  # the script only: it must stop the others itself
        out, _ = proc.communicate(timeout=30)
    finally:
        _stop(proc)
    assert proc.returncode == 0
    assert "Stopped." in out
    assert not any(_alive(pid) for pid in pids)
    assert _leftovers(tmp_path) == []


def test_one_dying_stops_the_rest_with_its_exit_status(tmp_path: Path) -> None:
    marker = tmp_path / "go"
    proc = _start(tmp_path, f"while [ ! -e {marker} ]; do sleep 0.1; done; exit 7")
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("Ready on")
        pids = [int((tmp_path / f"{n}.pid").read_text()) for n in ("web", "sleeper")]
        marker.touch()
        out, err = proc.communicate(timeout=30)
    finally:
        _stop(proc)
    assert proc.returncode == 7
    assert "A process stopped" in err and "Stopped." in out
    assert not any(_alive(pid) for pid in pids)
    assert _leftovers(tmp_path) == []


def test_a_process_failing_at_start_stops_the_rest(tmp_path: Path) -> None:
    # Readiness waits on a port nobody listens on, so the failure comes before "Ready".
    proc = _start(tmp_path, "sleep 1; exit 3", ready_port=_free_port())
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        _stop(proc)
    assert "Ready" not in out
    assert "A process failed to start" in err, err
    assert proc.returncode == 3
    pids = [int((tmp_path / f"{n}.pid").read_text()) for n in ("web", "sleeper")]
    assert not any(_alive(pid) for pid in pids)
    assert _leftovers(tmp_path) == []
