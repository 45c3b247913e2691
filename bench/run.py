"""Benchmark telnyx-emulator against a trivial FastAPI ceiling, in one run.

    .venv/bin/python bench/run.py            # full run, about 6 minutes
    .venv/bin/python bench/run.py --quick    # shorter runs, for a smoke test

It starts the real `telnyx-emulator` command (default settings, logging as
shipped) and, beside it, bench/ceiling.py on the same server stack; drives both
with wrk (PATCH that really writes, GET one, GET list, at 1 and 32
connections); times the start to the first 200 and a reset; reads the RSS
after 100,000 requests; prints a markdown table with the targets, and writes it
with the raw numbers to bench/results/. Missed targets are reported, not fatal:
the exit status is non-zero only when the benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
LOAD_SCRIPT = BENCH_DIR / "load.lua"

HOST = "127.0.0.1"
TOKEN = "bench-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NUMBER_ID = "89cb1ec4-3d07-583e-87e0-4f8e18c3abb5"
REQUIREMENT_ID = "69364478-3c94-4c69-ae0c-4ba0d4f2af00"
NUMBERS_PATH = "/v2/number_order_phone_numbers"
ONE_PATH = f"{NUMBERS_PATH}/{NUMBER_ID}"
RESET_PATH = "/_emulator/reset"
VALUE_PREFIX = "Beispiel GmbH"
MB = 1_000_000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

SCENARIOS = (("patch", "PATCH"), ("get-one", "GET one"), ("get-list", "GET list"))
CONNECTIONS = (1, 32)
PATCH_RATIO_TARGET = 0.75
PATCH_P99_TARGET_MS = 20.0
GET_ONE_RATIO_TARGET = 0.85
START_TARGET_S = 1.0
RESET_TARGET_MS = 5.0
RSS_TARGET_MB = 150.0
RSS_FLAT_MB = 5.0
BUSY_CORES = 0.25


class BenchError(Exception):
    """The benchmark could not run or a result is not valid."""


# --------------------------------------------------------------------------
# options


@dataclass(frozen=True)
class Options:
    duration: int
    rounds: int
    warmup: int
    rss_requests: int
    starts: int
    resets: int
    emulator_cmd: list[str]
    ceiling_cmd: list[str]
    verify: bool
    profile: int
    wait_quiet: int
    output: Path
    quick: bool

    @property
    def slice(self) -> int:
        """Seconds of one wrk run: a round's share of the duration."""
        return max(1, self.duration // max(1, self.rounds))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark telnyx-emulator against a trivial FastAPI ceiling."
    )
    parser.add_argument(
        "--duration",
        type=int,
        help="measured seconds per scenario and server, split into rounds (15)",
    )
    parser.add_argument("--rounds", type=int, help="paired rounds per scenario (5)")
    parser.add_argument(
        "--warmup", type=int, help="seconds of warm-up per scenario and server (1)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 rounds of 1 s, 20,000 requests for RSS, 3 start-ups",
    )
    parser.add_argument("--rss-requests", type=int, help="requests before RSS")
    parser.add_argument("--starts", type=int, help="start-ups to time (5)")
    parser.add_argument("--resets", type=int, help="resets to time (100)")
    parser.add_argument(
        "--wait-quiet",
        type=int,
        default=0,
        metavar="SECONDS",
        help="first wait up to SECONDS for other processes to leave the CPUs idle",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="SECONDS",
        help="instead of the benchmark, profile the emulator's PATCH path with "
        "py-spy for SECONDS under 32 connections",
    )
    parser.add_argument(
        "--emulator-cmd",
        help="command that starts the emulator, without --host/--port "
        "(default: the telnyx-emulator beside this Python)",
    )
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="skip the checks that PATCH writes and reset restores (only for "
        "debugging the harness with another server as the emulator)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=BENCH_DIR / "results",
        help="folder for logs and results (bench/results)",
    )
    return parser.parse_args(argv)


def build_options(args: argparse.Namespace) -> Options:
    quick = bool(args.quick)
    return Options(
        duration=_pick(args.duration, 3 if quick else 15),
        rounds=_pick(args.rounds, 3 if quick else 5),
        warmup=_pick(args.warmup, 1),
        rss_requests=_pick(args.rss_requests, 20_000 if quick else 100_000),
        starts=_pick(args.starts, 3 if quick else 5),
        resets=_pick(args.resets, 30 if quick else 100),
        emulator_cmd=_emulator_command(args.emulator_cmd),
        ceiling_cmd=[sys.executable, str(BENCH_DIR / "ceiling.py")],
        verify=not args.no_verify,
        profile=args.profile,
        wait_quiet=args.wait_quiet,
        output=args.output,
        quick=quick,
    )


def _pick(value: int | None, default: int) -> int:
    return default if value is None else value


def _emulator_command(override: str | None) -> list[str]:
    if override:
        return [_absolute_if_file(part) for part in shlex.split(override)]
    beside = Path(sys.executable).parent / "telnyx-emulator"
    found = str(beside) if beside.exists() else shutil.which("telnyx-emulator")
    if not found:
        raise BenchError(
            "telnyx-emulator is not installed: run "
            "`.venv/bin/pip install -e '.[test]'` first"
        )
    return [found]


def _absolute_if_file(part: str) -> str:
    """Servers run in a temporary folder: make relative file arguments absolute."""
    return str(Path(part).absolute()) if Path(part).is_file() else part


def wrk_path() -> str:
    found = shutil.which("wrk")
    if not found:
        raise BenchError(
            "wrk is not installed. On Debian or Ubuntu: "
            "`sudo apt-get update && sudo apt-get install -y wrk`"
        )
    return found


# --------------------------------------------------------------------------
# servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def child_environment() -> dict[str, str]:
    """This environment without TELNYX_EMULATOR_*, so defaults apply.

    PYTHONDONTWRITEBYTECODE goes too: with it, an editable install compiles the
    emulator's sources on every start, which no user's second start does (pip
    compiles a regular install, and Python caches an editable one's bytecode).
    The first start of each server caches it; the timed starts come later.
    """
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TELNYX_EMULATOR_") and key != "PYTHONDONTWRITEBYTECODE"
    }


@dataclass
class Server:
    """One server process on a loopback port, with its output in a log file."""

    name: str
    command: list[str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    workdir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise BenchError(f"{self.name} is not running")
        return self.process.pid

    def start(self) -> None:
        self.workdir = tempfile.TemporaryDirectory(prefix="telnyx-bench-")
        argv = [*self.command, "--host", HOST, "--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.started_at = time.perf_counter()
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir.name,
                env=child_environment(),
                start_new_session=True,
            )

    def wait_ready(self, client: httpx.Client, timeout: float = 30.0) -> float:
        """Seconds from start() to the first 200 on GET one number.

        The client is made before start(), so that its set-up is not timed.
        """
        deadline = self.started_at + timeout
        url = self.base_url + ONE_PATH
        while time.perf_counter() < deadline:
            if _answers_200(client, url):
                return time.perf_counter() - self.started_at
            self._check_alive()
            time.sleep(0.002)
        raise BenchError(f"{self.name} gave no 200 within {timeout:.0f} s")

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise BenchError(
                f"{self.name} exited with {self.process.returncode}:\n{tail}"
            )

    def rss_bytes(self) -> int:
        """Resident memory of the server and any processes it started."""
        return sum(_vm_rss(pid) for pid in [self.pid, *_descendants(self.pid)])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        if self.workdir is not None:
            self.workdir.cleanup()
            self.workdir = None


def poll_client() -> httpx.Client:
    return httpx.Client(headers=AUTH, timeout=2)


def _answers_200(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).status_code == 200
    except httpx.TransportError:
        return False


def _vm_rss(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: list[int] = []
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children.get(child, []))
    return found


CpuSnapshot = tuple[float, float, float]


def cpu_snapshot(pids: list[int]) -> CpuSnapshot:
    """Machine CPU ticks (all, busy) and those of this run's own processes.

    Ours are this process, the children it has waited for (wrk, stopped
    servers) and the running servers `pids`.
    """
    line = Path("/proc/stat").read_text().split("\n", 1)[0]
    values = [int(value) for value in line.split()[1:9]]
    total = sum(values)
    busy = total - values[3] - values[4]
    own = os.times()
    seconds = own.user + own.system + own.children_user + own.children_system
    ours = seconds * CLOCK_TICKS + sum(_process_ticks(pid) for pid in pids)
    return float(total), float(busy), ours


def background_cores(before: CpuSnapshot, after: CpuSnapshot) -> float:
    """Cores that other processes kept busy, on average, between two snapshots."""
    total, busy, ours = (end - start for start, end in zip(before, after, strict=True))
    if total <= 0:
        return 0.0
    return max(0.0, (busy - ours) / total * (os.cpu_count() or 1))


def _process_ticks(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = text[text.rfind(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


@contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        with poll_client() as client:
            server.start()
            server.wait_ready(client)
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------
# load with wrk


@dataclass(frozen=True)
class Load:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int


def aggregate(loads: list[Load]) -> Load:
    """Several rounds of one scenario: medians of rate and latencies."""
    return Load(
        requests=sum(load.requests for load in loads),
        duration_s=sum(load.duration_s for load in loads),
        rps=statistics.median(load.rps for load in loads),
        p50_ms=statistics.median(load.p50_ms for load in loads),
        p99_ms=statistics.median(load.p99_ms for load in loads),
        max_ms=max(load.max_ms for load in loads),
        errors=sum(load.errors for load in loads),
    )


def run_wrk(
    base_url: str,
    mode: str,
    connections: int,
    duration: int,
    limit: int = 0,
    prefix: str = f"{VALUE_PREFIX} ",
) -> Load:
    """One wrk run; with `limit`, it ends once that many responses came back."""
    argv = [
        *("wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "10s"),
        *("--latency", "-s", str(LOAD_SCRIPT), base_url, "--", mode, str(limit)),
        *(NUMBER_ID, REQUIREMENT_ID, prefix, TOKEN),
    ]
    env = {**os.environ, "BENCH_LUA_DIR": str(BENCH_DIR)}
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    output = _read_wrk(process, timeout=duration + 60)
    return _parse_wrk(output, argv)


def _read_wrk(process: subprocess.Popen[str], timeout: float) -> list[str]:
    assert process.stdout is not None
    watchdog = threading.Timer(timeout, process.kill)
    watchdog.start()
    try:
        lines: list[str] = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("BENCH-LIMIT-REACHED"):
                process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    finally:
        watchdog.cancel()
    return lines


def _parse_wrk(lines: list[str], argv: list[str]) -> Load:
    for line in lines:
        if line.startswith("BENCH-RESULT "):
            raw: dict[str, int] = json.loads(line.removeprefix("BENCH-RESULT "))
            errors = sum(raw[key] for key in raw if key.endswith(("errors", "outs")))
            duration_s = raw["duration_us"] / 1e6
            return Load(
                requests=raw["requests"],
                duration_s=duration_s,
                rps=raw["requests"] / duration_s if duration_s else 0.0,
                p50_ms=raw["p50_us"] / 1e3,
                p99_ms=raw["p99_us"] / 1e3,
                max_ms=raw["max_us"] / 1e3,
                errors=errors,
            )
    raise BenchError(f"wrk gave no result for {' '.join(argv)}:\n{''.join(lines)}")


# --------------------------------------------------------------------------
# checks that the load is what it claims to be


def stored_value(client: httpx.Client) -> object:
    response = client.get(ONE_PATH)
    if response.status_code != 200:
        raise BenchError(f"GET {ONE_PATH} answered {response.status_code}")
    for requirement in response.json()["data"]["regulatory_requirements"]:
        if requirement["requirement_id"] == REQUIREMENT_ID:
            return requirement.get("field_value")
    raise BenchError(f"{ONE_PATH} has no requirement {REQUIREMENT_ID}")


def patch_value(client: httpx.Client, value: str) -> httpx.Response:
    body = {
        "regulatory_requirements": [
            {"requirement_id": REQUIREMENT_ID, "field_value": value}
        ]
    }
    return client.patch(ONE_PATH, json=body)


def check_patch_writes(base_url: str) -> None:
    """A PATCH as the load sends it answers 200 and changes the stored value."""
    with httpx.Client(base_url=base_url, headers=AUTH, timeout=10) as client:
        for value in (f"{VALUE_PREFIX} check-1", f"{VALUE_PREFIX} check-2"):
            response = patch_value(client, value)
            if response.status_code != 200:
                raise BenchError(
                    f"PATCH {ONE_PATH} answered {response.status_code}: "
                    f"{response.text[:500]}"
                )
            if stored_value(client) != value:
                raise BenchError(f"PATCH did not store {value!r}")


def check_last_write(base_url: str, prefix: str) -> None:
    """After a PATCH run, the number holds one of that run's values."""
    with httpx.Client(base_url=base_url, headers=AUTH, timeout=10) as client:
        value = stored_value(client)
    if not (isinstance(value, str) and value.startswith(prefix)):
        raise BenchError(f"after the PATCH run the number holds {value!r}")


def response_sizes(base_url: str) -> dict[str, int]:
    with httpx.Client(base_url=base_url, headers=AUTH, timeout=10) as client:
        return {
            "PATCH": len(patch_value(client, f"{VALUE_PREFIX} size").content),
            "GET one": len(client.get(ONE_PATH).content),
            "GET list": len(client.get(NUMBERS_PATH).content),
        }


# --------------------------------------------------------------------------
# the measurements


@dataclass
class Results:
    load: dict[str, dict[str, Load]] = field(default_factory=dict)
    rounds: dict[str, dict[str, list[Load]]] = field(default_factory=dict)
    ratio: dict[str, float] = field(default_factory=dict)
    background_cores: dict[str, float] = field(default_factory=dict)
    start_s: dict[str, list[float]] = field(default_factory=dict)
    reset_ms: dict[str, list[float]] = field(default_factory=dict)
    rss_mb: dict[str, dict[int, float]] = field(default_factory=dict)
    sizes: dict[str, dict[str, int]] = field(default_factory=dict)
    patch_writes: int = 0


def load_key(mode: str, connections: int) -> str:
    return f"{mode}@{connections}"


def measure_rss(server: Server, total: int, results: Results) -> None:
    """RSS at 0, then after every quarter of `total` mixed requests."""
    samples = {0: server.rss_bytes() / MB}
    step = max(total // 4, 1)
    sent = 0
    while sent < total:
        chunk = min(step, total - sent)
        load = run_wrk(
            server.base_url, "mixed", 32, 600, chunk, f"{VALUE_PREFIX} rss{sent}-"
        )
        _require_clean(server.name, "mixed", load)
        if load.requests < chunk:
            raise BenchError(f"{server.name}: only {load.requests} of {chunk} in time")
        sent += chunk
        samples[sent] = server.rss_bytes() / MB
    results.rss_mb[server.name] = samples
    print(f"  {server.name}: RSS {_rss_text(samples)}", flush=True)


def measure_load(servers: list[Server], options: Options, results: Results) -> None:
    """Every scenario in paired rounds, emulator and ceiling back to back.

    The order flips each round (A B, B A, ...) and the ratio is the median of
    the rounds' ratios, so that load from other processes and drift hit both
    servers alike instead of skewing one run.
    """
    for mode, label in SCENARIOS:
        for connections in CONNECTIONS:
            key = load_key(mode, connections)
            for server in servers:
                if options.warmup:
                    run_wrk(server.base_url, mode, connections, options.warmup)
            rounds = [
                _one_round(servers[:: 1 if index % 2 == 0 else -1], key, options)
                for index in range(options.rounds)
            ]
            _record_rounds(key, rounds, results)
            if mode == "patch":
                results.patch_writes += sum(r["emulator"].requests for r in rounds)
            _print_scenario(label, connections, key, results)


def _one_round(servers: list[Server], key: str, options: Options) -> dict[str, Load]:
    mode, connections = key.split("@")
    loads: dict[str, Load] = {}
    for server in servers:
        prefix = f"{VALUE_PREFIX} {key}-{time.monotonic_ns()}-"
        load = run_wrk(
            server.base_url, mode, int(connections), options.slice, 0, prefix
        )
        _require_clean(server.name, mode, load)
        if mode == "patch" and server.name == "emulator" and options.verify:
            check_last_write(server.base_url, prefix)
        loads[server.name] = load
    return loads


def _record_rounds(key: str, rounds: list[dict[str, Load]], results: Results) -> None:
    for name in rounds[0]:
        loads = [one[name] for one in rounds]
        results.rounds.setdefault(name, {})[key] = loads
        results.load.setdefault(name, {})[key] = aggregate(loads)
    results.ratio[key] = statistics.median(
        one["emulator"].rps / one["ceiling"].rps for one in rounds
    )


def _print_scenario(label: str, connections: int, key: str, results: Results) -> None:
    for name in ("emulator", "ceiling"):
        load = results.load[name][key]
        print(
            f"  {name:8} {label:8} {connections:2} conn: "
            f"{load.rps:8.0f} req/s  p50 {load.p50_ms:6.2f} ms  "
            f"p99 {load.p99_ms:6.2f} ms",
            flush=True,
        )
    print(f"  {'':8} {'':8} {'':2}       ratio {results.ratio[key]:.2f}", flush=True)


def _require_clean(name: str, mode: str, load: Load) -> None:
    if load.errors:
        raise BenchError(
            f"{name}: {load.errors} failed requests in a {mode} run "
            "(socket errors, timeouts or non-2xx answers)"
        )
    if load.requests == 0:
        raise BenchError(f"{name}: no request completed in a {mode} run")


def measure_resets(server: Server, count: int, verify: bool) -> list[float]:
    """Milliseconds per POST /_emulator/reset, each after a write."""
    timings: list[float] = []
    with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=10) as client:
        for index in range(count):
            patch_value(client, f"{VALUE_PREFIX} reset-{index}")
            started = time.perf_counter()
            response = client.post(RESET_PATH)
            timings.append((time.perf_counter() - started) * 1e3)
            if response.status_code != 200:
                raise BenchError(f"POST {RESET_PATH} answered {response.status_code}")
        if verify and str(stored_value(client)).startswith(VALUE_PREFIX):
            raise BenchError("after a reset the PATCHed value is still there")
    return timings


def measure_start(server: Server) -> float:
    """Seconds from spawning the command to its first 200, on a fresh port."""
    server.port = free_port()
    try:
        with poll_client() as client:
            server.start()
            return server.wait_ready(client)
    finally:
        server.stop()


def wait_quiet(seconds: int) -> None:
    """Wait, at most `seconds`, for a 5-second window of an idle machine."""
    deadline = time.monotonic() + seconds
    while True:
        before = cpu_snapshot([])
        time.sleep(5)
        busy = background_cores(before, cpu_snapshot([]))
        if busy <= BUSY_CORES or time.monotonic() > deadline:
            print(f"other processes use {busy:.2f} cores; starting", flush=True)
            return
        print(f"other processes use {busy:.2f} cores; waiting", flush=True)


def run_benchmark(options: Options, results: Results) -> None:
    options.output.mkdir(parents=True, exist_ok=True)
    emulator = Server("emulator", options.emulator_cmd, options.output / "emulator.log")
    ceiling = Server("ceiling", options.ceiling_cmd, options.output / "ceiling.log")
    for server in (emulator, ceiling):
        server.log_path.write_bytes(b"")
    with running(emulator), running(ceiling):
        servers = [emulator, ceiling]
        pids = [pid for s in servers for pid in (s.pid, *_descendants(s.pid))]
        before = cpu_snapshot(pids)
        measure_running(servers, options, results)
        results.background_cores["load"] = background_cores(before, cpu_snapshot(pids))
    print(f"start to first 200, {options.starts} times each, alternating")
    before = cpu_snapshot([])
    for _ in range(options.starts):
        for server in (emulator, ceiling):
            results.start_s.setdefault(server.name, []).append(measure_start(server))
    results.background_cores["start"] = background_cores(before, cpu_snapshot([]))


def measure_running(servers: list[Server], options: Options, results: Results) -> None:
    """Everything measured on the two running servers."""
    emulator = servers[0]
    if options.verify:
        check_patch_writes(emulator.base_url)
    results.sizes = {s.name: response_sizes(s.base_url) for s in servers}
    print(f"RSS over {options.rss_requests:,} requests (fresh processes)")
    for server in servers:
        measure_rss(server, options.rss_requests, results)
    print(
        f"wrk: {options.rounds} paired rounds of {options.slice} s per scenario "
        f"(after {options.warmup} s warm-up)"
    )
    measure_load(servers, options, results)
    print(f"{options.resets} resets")
    for server in servers:
        verify = options.verify and server is emulator
        results.reset_ms[server.name] = measure_resets(server, options.resets, verify)


# --------------------------------------------------------------------------
# targets and the table


@dataclass(frozen=True)
class Row:
    measure: str
    emulator: str
    ceiling: str
    ratio: str = "—"
    target: str = "—"
    met: bool | None = None
    missed: str = ""

    def cells(self) -> list[str]:
        met = {None: "—", True: "yes", False: "**no**"}[self.met]
        if self.missed:
            met += f" ({self.missed})"
        return [self.measure, self.emulator, self.ceiling, self.ratio, self.target, met]


def _load_text(load: Load) -> str:
    return (
        f"{load.rps:,.0f} req/s · p50 {load.p50_ms:.1f} ms · p99 {load.p99_ms:.1f} ms"
    )


def _rss_text(samples: dict[int, float]) -> str:
    return " → ".join(f"{count // 1000}k: {mb:.1f} MB" for count, mb in samples.items())


def load_rows(results: Results) -> list[Row]:
    rows: list[Row] = []
    for mode, label in SCENARIOS:
        for connections in CONNECTIONS:
            key = load_key(mode, connections)
            emulator = results.load["emulator"][key]
            ceiling = results.load["ceiling"][key]
            ratio = results.ratio[key]
            target, met, missed = _load_target(mode, connections, ratio, emulator)
            rows.append(
                Row(
                    f"{label}, {connections} conn",
                    _load_text(emulator),
                    _load_text(ceiling),
                    f"{ratio:.2f}",
                    target,
                    met,
                    missed,
                )
            )
    return rows


def _load_target(
    mode: str, connections: int, ratio: float, load: Load
) -> tuple[str, bool | None, str]:
    """The target of one load row, whether it is met, and what missed it."""
    if connections != 32:
        return "—", None, ""
    if mode == "patch":
        target = f"≥ {PATCH_RATIO_TARGET} · p99 ≤ {PATCH_P99_TARGET_MS:.0f} ms"
        misses = []
        if ratio < PATCH_RATIO_TARGET:
            misses.append("ratio")
        if load.p99_ms > PATCH_P99_TARGET_MS:
            misses.append("p99")
        return target, not misses, " and ".join(misses)
    if mode == "get-one":
        return f"≥ {GET_ONE_RATIO_TARGET}", ratio >= GET_ONE_RATIO_TARGET, ""
    return "—", None, ""


def other_rows(results: Results, options: Options) -> list[Row]:
    start = {name: statistics.median(v) for name, v in results.start_s.items()}
    reset = {name: statistics.median(v) for name, v in results.reset_ms.items()}
    rss = results.rss_mb["emulator"]
    last = max(rss)
    half = min(rss, key=lambda count: abs(count - last / 2))
    growth = rss[last] - rss[half]
    return [
        Row(
            f"start to first 200 (median of {options.starts})",
            f"{start['emulator']:.2f} s",
            f"{start['ceiling']:.2f} s",
            target=f"≤ {START_TARGET_S:.1f} s",
            met=start["emulator"] <= START_TARGET_S,
        ),
        Row(
            f"reset, round trip (median of {options.resets}; max)",
            f"{reset['emulator']:.2f} ms; {max(results.reset_ms['emulator']):.1f} ms",
            f"{reset['ceiling']:.2f} ms (trivial POST)",
            target=f"≤ {RESET_TARGET_MS:.0f} ms",
            met=reset["emulator"] <= RESET_TARGET_MS,
        ),
        Row(
            f"RSS after {last:,} requests",
            f"{rss[last]:.1f} MB ({growth:+.1f} MB over the last {last - half:,})",
            f"{results.rss_mb['ceiling'][last]:.1f} MB",
            target=f"≤ {RSS_TARGET_MB:.0f} MB, flat (≤ {RSS_FLAT_MB:.0f} MB growth)",
            met=rss[last] <= RSS_TARGET_MB and growth <= RSS_FLAT_MB,
        ),
    ]


def render_table(rows: list[Row]) -> str:
    header = ["measure", "emulator", "ceiling", "ratio", "target", "met?"]
    lines = [_md_line(header), _md_line(["---"] * len(header))]
    lines += [_md_line(row.cells()) for row in rows]
    return "\n".join(lines)


def _md_line(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def machine_notes(results: Results, options: Options) -> list[str]:
    versions = ", ".join(
        f"{name} {_version(name)}"
        for name in ("fastapi", "starlette", "uvicorn", "uvloop", "httptools")
    )
    sizes = results.sizes.get("emulator", {})
    background = results.background_cores
    size_text = ", ".join(f"{k} {v:,} B" for k, v in sizes.items())
    command = " ".join([Path(options.emulator_cmd[0]).name, *options.emulator_cmd[1:]])
    return [
        f"- Emulator: commit {git_revision()}, run as `{command} --host {HOST} "
        "--port <free port>`.",
        f"- Machine: {os.cpu_count()} CPUs ({cpu_model()}), "
        f"Python {platform.python_version()}, {platform.system()} "
        f"{platform.release()}; {versions}; {wrk_version()}.",
        f"- wrk: 1 thread; per scenario {options.rounds} paired rounds of "
        f"{options.slice} s on each server (order flipped every round) after "
        f"{options.warmup} s of warm-up; wrk shares the cores with the servers. "
        "req/s, p50 and p99 are medians over the rounds.",
        "- Ratio: median over the rounds of emulator req/s ÷ ceiling req/s. The "
        "ceiling (bench/ceiling.py) reads the body and returns a fixed 700-byte JSON.",
        f"- Emulator response sizes: {size_text}. Every PATCH stores a new "
        f"value ({results.patch_writes:,} writes in the PATCH runs).",
        f"- RSS samples, emulator: {_rss_text(results.rss_mb['emulator'])}; "
        "requests cycle PATCH, GET one, GET list at 32 connections.",
        f"- Other processes kept {background.get('load', 0):.2f} of "
        f"{os.cpu_count()} cores busy on average during the load runs and "
        f"{background.get('start', 0):.2f} during the start-ups (about 0 on an "
        "idle machine; more makes the numbers noisier).",
    ]


def git_revision() -> str:
    """The checkout's commit, marked when the tree has uncommitted changes."""
    try:
        commit = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + (" with uncommitted changes" if dirty else "")


def _git(*args: str) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=BENCH_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    return result.stdout.strip()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def wrk_version() -> str:
    result = subprocess.run(
        ["wrk", "-v"], capture_output=True, text=True, check=False, timeout=10
    )
    first = (result.stdout + result.stderr).splitlines()
    return first[0].split("Copyright")[0].strip() if first else "wrk"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def report(results: Results, options: Options) -> str:
    rows = load_rows(results) + other_rows(results, options)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = f"Benchmark, {stamp}" + (" (quick run)" if options.quick else "")
    table = render_table(rows)
    notes = "\n".join(machine_notes(results, options))
    summary = target_summary(rows, results.background_cores)
    return f"### {title}\n\n{table}\n\n{notes}\n\n{summary}\n"


def target_summary(rows: list[Row], background: dict[str, float]) -> str:
    judged = [row for row in rows if row.met is not None]
    met = [row for row in judged if row.met]
    lines = [f"Targets met: {len(met)} of {len(judged)}."]
    busiest = max(background.values(), default=0.0)
    if busiest > BUSY_CORES:
        lines[0] += (
            f" WARNING: other processes kept {busiest:.2f} cores busy during "
            "the run; repeat it on a quiet machine before trusting the numbers."
        )
    lines += [
        f"- {'met' if row.met else 'MISSED'}: {row.measure} ({row.target})"
        + (f": {row.missed}" if row.missed else "")
        for row in judged
    ]
    return "\n".join(lines)


def save(results: Results, text: str, options: Options) -> None:
    options.output.mkdir(parents=True, exist_ok=True)
    (options.output / "latest.md").write_text(text)
    raw: dict[str, Any] = asdict(results)
    raw["load"] = {
        name: {key: {**asdict(load), "rps": load.rps} for key, load in loads.items()}
        for name, loads in results.load.items()
    }
    (options.output / "latest.json").write_text(json.dumps(raw, indent=2) + "\n")


# --------------------------------------------------------------------------
# profiling


def run_profile(options: Options) -> None:
    """PATCH load at 32 connections while py-spy samples the emulator."""
    py_spy = _py_spy_path()
    options.output.mkdir(parents=True, exist_ok=True)
    out = options.output / "profile.speedscope.json"
    emulator = Server("emulator", options.emulator_cmd, options.output / "emulator.log")
    emulator.log_path.write_bytes(b"")
    with running(emulator):
        run_wrk(emulator.base_url, "patch", 32, options.warmup or 1)
        argv = [py_spy, "record", "--pid", str(emulator.pid), "--rate", "200"]
        argv += ["--duration", str(options.profile), "--format", "speedscope"]
        argv += ["--output", str(out), "--nonblocking"]
        recorder = subprocess.Popen(
            argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        load = run_wrk(emulator.base_url, "patch", 32, options.profile + 2)
        _, errors = recorder.communicate(timeout=options.profile + 60)
        if recorder.returncode != 0:
            raise BenchError(f"py-spy failed: {errors.strip()}")
    print(f"PATCH at 32 conn under py-spy: {_load_text(load)}")
    print(f"speedscope profile: {out} (open it at speedscope.app)\n")
    from hotspots import summarize

    print(summarize(out))


def _py_spy_path() -> str:
    beside = Path(sys.executable).parent / "py-spy"
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if not found:
        raise BenchError("py-spy is not installed: `.venv/bin/pip install py-spy`")
    return found


# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    try:
        options = build_options(parse_args(argv))
        wrk_path()
        if options.profile:
            run_profile(options)
            return 0
        if options.wait_quiet:
            wait_quiet(options.wait_quiet)
        results = Results()
        run_benchmark(options, results)
        text = report(results, options)
        save(results, text, options)
        print("\n" + text)
        print(f"(also in {options.output / 'latest.md'})")
        return 0
    except BenchError as error:
        print(f"benchmark error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
