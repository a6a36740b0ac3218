"""gunicorn under test: start it, wait until it answers, read its processes, stop it.

The server runs in its own session, so a Ctrl-C in the terminal reaches only the
benchmark, which then stops the server itself in a known order. Memory and CPU come
from ``/proc``: the workers are whatever children the master has forked.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """A step of the benchmark failed; the message says which and why."""


def venv_script(name: str) -> Path:
    """A console script of the environment running the benchmark (gunicorn, pbhub)."""
    path = Path(sys.executable).with_name(name)
    if not path.exists():
        raise BenchError(f"{path} not found; install the project into this environment first")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ProcessMemory:
    pid: int
    role: str  # "master" or "worker"
    peak_rss_mib: float


def _stat_fields(pid: int) -> list[str]:
    """``/proc/<pid>/stat`` from the state field on (the name may hold spaces)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rfind(")") + 2 :].split()


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return sorted(found)


def peak_rss_mib(pid: int) -> float:
    """The resident-set high-water mark (VmHWM) of a live process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no VmHWM for process {pid}")


def cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


#: The stores a request's writes cost CPU in, by process name.
STORE_PROCESSES = ("postgres", "redis-server")


def store_cpu_seconds() -> float:
    """CPU used so far by this machine's PostgreSQL and Redis processes: the backends
    serving the app and the background writers its commits keep busy."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
            if name.startswith(STORE_PROCESSES):
                total += cpu_seconds(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
    return total


def busy_share(seconds: float) -> float:
    """How busy all CPUs are over ``seconds``, from /proc/stat: 0 idle, 1 saturated."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # all, idle + iowait

    total, idle = sample()
    time.sleep(seconds)
    total_after, idle_after = sample()
    elapsed = total_after - total
    return 1 - (idle_after - idle) / elapsed if elapsed else 0.0


class Gunicorn:
    """One gunicorn master serving ``app_spec`` on a loopback port."""

    def __init__(self, app_spec: str, env: dict[str, str], port: int, log_path: Path) -> None:
        self.app_spec = app_spec
        self.port = port
        self.log_path = log_path
        self._env = env
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, ready_path: str) -> None:
        command = [
            str(venv_script("gunicorn")),
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{self.port}",
            self.app_spec,
        ]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                cwd=REPO,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready(ready_path)

    @property
    def pid(self) -> int:
        if self._process is None:
            raise BenchError("gunicorn is not running")
        return self._process.pid

    def workers(self) -> list[int]:
        return children(self.pid)

    def cpu_seconds(self) -> float:
        """CPU used so far by the master and its current workers."""
        total = 0.0
        for pid in [self.pid, *self.workers()]:
            try:
                total += cpu_seconds(pid)
            except OSError:
                continue
        return total

    def memory(self) -> list[ProcessMemory]:
        found = [ProcessMemory(self.pid, "master", peak_rss_mib(self.pid))]
        found += [ProcessMemory(pid, "worker", peak_rss_mib(pid)) for pid in self.workers()]
        return found

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _wait_ready(self, path: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise BenchError(
                    f"gunicorn ({self.app_spec}) exited with status "
                    f"{self._process.returncode}:\n{self.log_tail()}"
                )
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", path)
                status = connection.getresponse().status
                connection.close()
            except OSError:
                time.sleep(0.1)
                continue
            if status < 500:
                return
            raise BenchError(f"gunicorn ({self.app_spec}) answered {path} with {status}")
        raise BenchError(f"gunicorn ({self.app_spec}) did not answer within {START_TIMEOUT:g} s")

    def stop(self) -> None:
        """Graceful stop (workers flush buffered clicks), then force. Safe to call twice."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # any worker the master left behind
