"""Download throughput of a large file artifact, against curl and Dioptra's own client.

Goal (issue 2): ``get_contents`` reaches at least 1.0 x the throughput of the
faster baseline on the same URL, with less than 50 MB of peak memory growth.
Each client runs in its own process, the runs interleaved, so a burst of load
on this shared machine hits all of them alike; the median of each is compared,
and each client's own CPU time is printed beside it (curl's includes its process start).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from artifact_browser.devserver import add_file_artifact, ensure_server_venv, start_seeded_server

MIB = 1 << 20
MEMORY_GOAL_MB = 50

# Run by the server's own Python (it has dioptra.client); the password comes on stdin.
DIOPTRA_CLIENT_SCRIPT = """
import json, sys, time
from pathlib import Path
from dioptra.client import connect_json_dioptra_client
job = json.load(sys.stdin)
client = connect_json_dioptra_client(job["url"])
client.auth.login(job["username"], job["password"])
start, cpu_start = time.perf_counter(), time.process_time()
path = client.artifacts.get_contents(job["artifact_id"], output_dir=Path(job["out_dir"]), file_stem="dioptra")
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "bytes": path.stat().st_size}))
"""


def _make_file(path: Path, size_mib: int) -> None:
    # Random bytes: the server streams files line by line, so this is its worst
    # case (about 250-byte chunks), the one where client CPU per chunk matters.
    with path.open("wb") as out:
        for _ in range(size_mib):
            out.write(os.urandom(MIB))


def _run_json(command: list[str], job: dict) -> dict:
    done = subprocess.run(command, input=json.dumps(job), capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _curl(job: dict) -> dict:
    jar = Path(job["out_dir"]) / "curl-cookies"
    base = ["curl", "-sS", "--fail", "-A", "bench-curl", "-b", str(jar), "-c", str(jar)]
    login = json.dumps({"username": job["username"], "password": job["password"]})
    subprocess.run(
        [*base, "-H", "Content-Type: application/json", "--data-binary", "@-", f"{job['url']}/api/v1/auth/login"],
        input=login, capture_output=True, text=True, check=True,
    )
    target = Path(job["out_dir"]) / "curl.bin"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([*base, "-o", str(target), f"{job['url']}/api/v1/artifacts/{job['artifact_id']}/contents"], check=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": seconds, "cpu_seconds": cpu, "bytes": target.stat().st_size}


def main(size_mib: int = 512, repeat: int = 3) -> None:
    venv = ensure_server_venv()
    with tempfile.TemporaryDirectory(prefix="bench-download-") as tmp:
        tmp_path = Path(tmp)
        server, manifest = start_seeded_server(tmp_path / "server")
        try:
            source = tmp_path / "big.bin"
            _make_file(source, size_mib)
            artifact_id = add_file_artifact(server, source, f"benchmark file of {size_mib} MiB")
            source.unlink()
            out_dir = tmp_path / "out"
            out_dir.mkdir()
            job = {
                "url": server.url,
                "username": manifest.demo.username,
                "password": manifest.demo.password,
                "artifact_id": artifact_id,
                "out_dir": str(out_dir),
            }
            clients = {
                "curl": lambda: _curl(job),
                "dioptra.client": lambda: _run_json([str(venv.python), "-c", DIOPTRA_CLIENT_SCRIPT], job),
                "artifact-browser": lambda: _run_json([sys.executable, "-m", "bench.download_child"], job),
            }
            results: dict[str, list[dict]] = {name: [] for name in clients}
            names = list(clients)
            for rep in range(repeat):
                # Each client takes each place in the order once: the one after a big
                # write competes with the kernel flushing that write to disk.
                for name in names[rep % len(names) :] + names[: rep % len(names)]:
                    run = clients[name]
                    result = run()
                    if result["bytes"] != size_mib * MIB:
                        raise RuntimeError(f"{name} downloaded {result['bytes']} bytes, not {size_mib * MIB}")
                    results[name].append(result)
                    for leftover in out_dir.iterdir():
                        if leftover.name != "curl-cookies":
                            leftover.unlink()
        finally:
            server.stop()
    _report(results, size_mib, repeat)


def _report(results: dict[str, list[dict]], size_mib: int, repeat: int) -> None:
    speed = {name: statistics.median(size_mib / r["seconds"] for r in runs) for name, runs in results.items()}
    print(f"\n== Downloading a {size_mib} MiB file artifact (median of {repeat} interleaved runs, MiB/s)")
    for name, runs in results.items():
        each = ", ".join(f"{size_mib / r['seconds']:.1f}" for r in runs)
        print(f"  {name:18s} {speed[name]:7.1f} MiB/s   (runs: {each})")
    best_name = max(("curl", "dioptra.client"), key=speed.get)
    ratio = speed["artifact-browser"] / speed[best_name]
    print(f"  ratio to the faster baseline ({best_name}): {ratio:.2f} x   (goal >= 1.0: {'met' if ratio >= 1.0 else 'NOT met'})")
    growth = max(r["memory_growth_mb"] for r in results["artifact-browser"])
    print(f"  artifact-browser peak memory growth: {growth:.1f} MB   (goal < {MEMORY_GOAL_MB} MB: {'met' if growth < MEMORY_GOAL_MB else 'NOT met'})")
    # Wall time on a shared machine swings with other load; the client's own CPU
    # per byte does not, and it is what decides the race when the server saturates a core.
    print(f"  client CPU for {size_mib} MiB (median; lower leaves more of the machine to the server):")
    for name, runs in results.items():
        cpu = statistics.median(r["cpu_seconds"] for r in runs)
        print(f"    {name:18s} {cpu:6.2f} s")
    fsync = statistics.median(r["fsync_seconds"] for r in results["artifact-browser"])
    print(f"  artifact-browser fsync before the rename (the baselines do not sync): {fsync:.2f} s")


if __name__ == "__main__":
    main()
