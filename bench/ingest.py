"""Upload throughput and server memory: a file through the upload API against ``cp``.

    python bench/ingest.py [--quick] [--size-mib N] [--repetitions N]

One run on this machine, both sides on the same disk (one temporary folder):
- ours: ``POST /api/v1/assets/upload`` of a file of random bytes (1 GiB; 64 MiB with
  ``--quick``) to ``reelhouse serve`` started here as a subprocess (SQLite, local storage in the
  same temporary folder, ``REELHOUSE_JOB_WORKERS=0`` so that no probing job competes for CPU).
  The client streams the multipart body from the file in 1 MiB reads with a known
  Content-Length, and checks the SHA-256 the server answers. Timed from the request to the 201.
- peer: ``cp SOURCE DEST`` of the same file, then ``sync DEST`` (an fsync of the copy), timed
  as processes. The server answers 201 only once the upload is on disk (it writes large blocks
  past the page cache and fsyncs the file and its folder), so the like-for-like peer is a copy
  that is on disk too. ``cp`` alone, which ends with the copy still in the page cache, is
  reported beside it (``ingest.page_cache``).
Each repetition writes a fresh source file (new content: a repeated upload would be a duplicate),
then runs cp and the upload in alternating order (3 repetitions; 5 with ``--quick``, whose
timings of tens of milliseconds are noisy; ``--repetitions N``); the medians are compared.
Page caches are not dropped: the source is in the cache for both sides, and neither side syncs
its copy. Before each timed step, untimed: ``sync`` (so that one side's writeback does not land
on the other's clock), then a scratch cp of the source, deleted at once, so that both sides
write into memory just freed (see ``settle``: on a VM whose balloon reports free pages, as the
one this was written on, memory free for a few seconds goes back to the host and then costs
1-2 s per GiB to touch again).
Server memory: VmRSS of the server process, read from /proc every 20 ms during each upload;
the growth is the peak over the baseline taken after a warm-up upload of 1 MiB. VmHWM (the
kernel's exact peak, reset at the baseline where /proc/<pid>/clear_refs allows) is printed too.
The last line compares throughput with the durable copy (MB = 10^6 bytes; target: at least half
of cp's); the line before it compares with ``cp`` alone, the one before that gives the peak memory
growth (target: under 100 MiB whatever the file size).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from process_stats import RssSampler, cpu_seconds, own_cpu_seconds, reset_hwm, vm_kib

REPO = Path(__file__).resolve().parent.parent
ADMIN_EMAIL = "bench@example.org"
ADMIN_PASSWORD = "benchmark-password"
API = "/api/v1"
CHUNK_BYTES = 1024 * 1024
MIB = 1024 * 1024
READY_TIMEOUT_SECONDS = 120.0
UPLOAD_TIMEOUT_SECONDS = 1800.0


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "REELHOUSE_DATA_DIR": str(data_dir),
        "REELHOUSE_ADMIN_EMAIL": ADMIN_EMAIL,
        "REELHOUSE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "REELHOUSE_LOG_LEVEL": "WARNING",
        "REELHOUSE_JOB_WORKERS": "0",
    }


def wait_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.perf_counter() + READY_TIMEOUT_SECONDS
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}{API}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"the server was not ready in {READY_TIMEOUT_SECONDS} s:\n{log.read_text()}")


@contextmanager
def running_server(folder: Path) -> Iterator[tuple[str, int]]:
    """Start ``reelhouse serve``; yield its base URL and pid; stop it on the way out."""
    port = free_port()
    log = folder / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "reelhouse", "serve", "--port", str(port)],
            cwd=REPO,
            env=server_env(folder / "data"),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_ready(base_url, process, log)
            yield base_url, process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def access_token(client: httpx.Client) -> str:
    response = client.post(
        f"{API}/auth/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


# --- the two sides ---------------------------------------------------------------------------


def write_random_file(path: Path, size: int) -> str:
    """Fill ``path`` with ``size`` random bytes; answer their SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        remaining = size
        while remaining > 0:
            chunk = os.urandom(min(CHUNK_BYTES, remaining))
            digest.update(chunk)
            handle.write(chunk)
            remaining -= len(chunk)
    return digest.hexdigest()


def multipart_parts(path: Path) -> tuple[str, bytes, bytes]:
    """The content type, the bytes before the file and the bytes after it."""
    boundary = f"reelhouse-bench-{uuid.uuid4().hex}"
    preamble = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    closing = f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", preamble, closing


def streamed_body(path: Path, preamble: bytes, closing: bytes) -> Iterator[bytes]:
    yield preamble
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk
    yield closing


@dataclass(frozen=True)
class Upload:
    seconds: float
    asset_id: str
    server_cpu_seconds: float
    client_cpu_seconds: float
    peak_rss_kib: int
    samples: int


def upload(client: httpx.Client, path: Path, sha256: str, server_pid: int) -> Upload:
    content_type, preamble, closing = multipart_parts(path)
    length = len(preamble) + path.stat().st_size + len(closing)
    headers = {"Content-Type": content_type, "Content-Length": str(length)}
    cpu_before, client_before = cpu_seconds(server_pid), own_cpu_seconds()
    with RssSampler(server_pid) as sampler:
        started = time.perf_counter()
        response = client.post(
            f"{API}/assets/upload",
            content=streamed_body(path, preamble, closing),
            headers=headers,
            timeout=UPLOAD_TIMEOUT_SECONDS,
        )
        seconds = time.perf_counter() - started
    server_cpu = cpu_seconds(server_pid) - cpu_before
    client_cpu = own_cpu_seconds() - client_before
    assert response.status_code == 201, (response.status_code, response.text)
    answer = response.json()
    assert answer["sha256"] == sha256, (answer["sha256"], sha256)
    assert answer["size"] == path.stat().st_size, answer["size"]
    return Upload(
        seconds, str(answer["id"]), server_cpu, client_cpu, sampler.peak_kib, sampler.samples
    )


def delete_asset(client: httpx.Client, asset_id: str) -> None:
    client.delete(f"{API}/assets/{asset_id}").raise_for_status()


def time_cp(source: Path, destination: Path) -> tuple[float, float]:
    """Seconds to copy, and to copy and then fsync the copy (coreutils ``sync FILE``)."""
    started = time.perf_counter()
    subprocess.run(["cp", str(source), str(destination)], check=True)
    copied = time.perf_counter() - started
    subprocess.run(["sync", str(destination)], check=True)
    return copied, time.perf_counter() - started


# --- the run ---------------------------------------------------------------------------------


def mb_per_s(size: int, seconds: float) -> float:
    return round(size / seconds / 1e6, 1)


def settle(source: Path) -> None:
    """Flush dirty pages, then copy and delete the source once (untimed) right before a step.

    On a VM that hands freed memory back to its host (virtio-balloon free page reporting), the
    first touch of a page the host has taken back is slow: about 1-2 s per GiB on ours. Without
    this, whichever side ran first after a pause paid that for the pages it wrote, a cost that
    bare metal does not have. The scratch copy leaves as many freshly freed pages for the
    timed step, whichever side it is.
    """
    os.sync()
    scratch = source.with_suffix(".scratch")
    subprocess.run(["cp", str(source), str(scratch)], check=True)
    scratch.unlink()


def measure_cp(source: Path, folder: Path, size: int, repetition: int) -> tuple[float, float]:
    destination = folder / "cp-copy.bin"
    settle(source)
    copied, synced = time_cp(source, destination)
    destination.unlink()
    print(
        json.dumps(
            {
                "run": "cp",
                "repetition": repetition,
                "seconds": round(copied, 3),
                "mb_per_s": mb_per_s(size, copied),
                "seconds_with_sync": round(synced, 3),
                "mb_per_s_with_sync": mb_per_s(size, synced),
            }
        ),
        flush=True,
    )
    return copied, synced


def measure_upload(
    client: httpx.Client, source: Path, sha256: str, server_pid: int, baseline_kib: int
) -> tuple[float, int, dict[str, Any]]:
    settle(source)
    result = upload(client, source, sha256, server_pid)
    delete_asset(client, result.asset_id)
    size = source.stat().st_size
    line = {
        "run": "upload",
        "seconds": round(result.seconds, 3),
        "mb_per_s": mb_per_s(size, result.seconds),
        "server_cpu_s": round(result.server_cpu_seconds, 2),
        "client_cpu_s": round(result.client_cpu_seconds, 2),
        "peak_rss_growth_mib": round((result.peak_rss_kib - baseline_kib) / 1024, 1),
        "rss_samples": result.samples,
    }
    return result.seconds, result.peak_rss_kib, line


def run(folder: Path, size: int, repetitions: int) -> dict[str, Any]:
    """Alternate cp and upload over fresh files; answer medians and the server's memory."""
    cp_seconds: list[float] = []
    cp_sync_seconds: list[float] = []
    upload_seconds: list[float] = []
    with running_server(folder) as (base_url, pid), httpx.Client(base_url=base_url) as client:
        client.headers["Authorization"] = f"Bearer {access_token(client)}"
        warm_up = folder / "warm-up.bin"
        upload(client, warm_up, write_random_file(warm_up, MIB), pid)
        warm_up.unlink()
        baseline_kib = vm_kib(pid, "VmRSS")
        hwm_reset = reset_hwm(pid)
        peak_kib = baseline_kib
        for repetition in range(repetitions):
            source = folder / f"source-{repetition}.bin"
            sha256 = write_random_file(source, size)
            order = ("cp", "upload") if repetition % 2 == 0 else ("upload", "cp")
            for side in order:
                if side == "cp":
                    copied, synced = measure_cp(source, folder, size, repetition)
                    cp_seconds.append(copied)
                    cp_sync_seconds.append(synced)
                    continue
                seconds, peak, line = measure_upload(client, source, sha256, pid, baseline_kib)
                upload_seconds.append(seconds)
                peak_kib = max(peak_kib, peak)
                print(json.dumps({**line, "repetition": repetition}), flush=True)
            source.unlink()
        hwm_kib = vm_kib(pid, "VmHWM")
        if hwm_reset:
            # The kernel's peak catches what 20 ms samples may miss between them.
            peak_kib = max(peak_kib, hwm_kib)
    return {
        "cp_seconds": statistics.median(cp_seconds),
        "cp_sync_seconds": statistics.median(cp_sync_seconds),
        "upload_seconds": statistics.median(upload_seconds),
        "baseline_kib": baseline_kib,
        "peak_kib": peak_kib,
        "hwm_kib": hwm_kib,
        "hwm_reset": hwm_reset,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="64 MiB instead of 1 GiB")
    parser.add_argument("--size-mib", type=int, default=None, help="file size in MiB")
    parser.add_argument(
        "--repetitions", type=int, default=None, help="cp/upload pairs (default 3; 5 quick)"
    )
    arguments = parser.parse_args()
    size = (arguments.size_mib or (64 if arguments.quick else 1024)) * MIB
    # Timings of a few tens of ms are noisy on a shared machine: more of them when small.
    repetitions = arguments.repetitions or (5 if arguments.quick else 3)
    with tempfile.TemporaryDirectory(prefix="reelhouse-bench-ingest-") as tmp:
        folder = Path(tmp)
        print(
            json.dumps(
                {
                    "run": "setup",
                    "size_mib": size // MIB,
                    "repetitions": repetitions,
                    "folder": str(folder),
                    "job_workers": 0,
                    "note": "server jobs off (REELHOUSE_JOB_WORKERS=0); caches not dropped",
                }
            ),
            flush=True,
        )
        result = run(folder, size, repetitions)
    ours = mb_per_s(size, result["upload_seconds"])
    growth_mib = round((result["peak_kib"] - result["baseline_kib"]) / 1024, 1)
    print(
        json.dumps(
            {
                "run": "server memory",
                "baseline_rss_mib": round(result["baseline_kib"] / 1024, 1),
                "peak_rss_mib": round(result["peak_kib"] / 1024, 1),
                "vm_hwm_mib": round(result["hwm_kib"] / 1024, 1),
                "vm_hwm_since": "baseline" if result["hwm_reset"] else "server start",
            }
        )
    )
    print(
        json.dumps(
            {
                "bench": "ingest.memory",
                "unit": "MiB",
                "ours": growth_mib,
                "peer": None,
                "ratio": None,
                "target": "< 100 MiB",
            }
        )
    )
    for bench, peer_seconds, peer in (
        ("ingest.page_cache", result["cp_seconds"], "cp"),
        ("ingest", result["cp_sync_seconds"], "cp && sync"),
    ):
        print(
            json.dumps(
                {
                    "bench": bench,
                    "unit": "MB/s",
                    "ours": ours,
                    "peer": mb_per_s(size, peer_seconds),
                    "ratio": round(peer_seconds / result["upload_seconds"], 3),
                    "target": 0.5,
                    "peer_command": peer,
                }
            )
        )


if __name__ == "__main__":
    main()
