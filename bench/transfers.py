"""The program's own transfer path (TransferManager) against curl and Dioptra's client, in one run.

Goals (issue 4):

* a 512 MiB file and a 5,000-file directory (as tar.gz) reach at least 1.0 x
  the throughput of the faster baseline (curl or ``dioptra.client``) on the same URL;
* extracting the directory adds less than 10 % to the tar.gz download alone;
* the program's memory grows by less than 50 MB while it transfers.

Every client runs in its own process, the runs interleaved so a burst of load on
the machine hits all of them alike, and medians are compared. The program's runs
go through :class:`TransferManager` exactly as the GUI submits them (``.part``,
fsync, rename; for EXTRACT also unpacking, the check against the listing and
the folder rename).
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from artifact_browser.api import connect
from artifact_browser.devserver import add_file_artifact, ensure_server_venv, start_seeded_server
from artifact_browser.devserver.seed import MLFLOW_EXPERIMENT, run_seedtool
from bench.download import DIOPTRA_CLIENT_SCRIPT, MEMORY_GOAL_MB, MIB, _curl, _make_file, _run_json

DIRECTORY_FILES = 5000
EXTRACT_GOAL = 0.10


# -- the data ----------------------------------------------------------------------------------


def _make_directory(root: Path, count: int) -> int:
    """``count`` files of 0.5-16 KiB in 50 folders (incompressible, like small tensors); returns the bytes."""
    rng = random.Random(4)
    total = 0
    for i in range(count):
        folder = root / f"shard_{i % 50:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        size = rng.randint(512, 16 * 1024)
        (folder / f"sample_{i:05d}.bin").write_bytes(rng.randbytes(size))
        total += size
    return total


def _register_directory(server, manifest, local_dir: Path) -> int:
    """Log ``local_dir`` into a new MLflow run (one seed tool call) and register it on a new job."""
    run = run_seedtool(
        server,
        "log-runs",
        {
            "experiment": MLFLOW_EXPERIMENT,
            "artifact_location": server.artifact_root.as_uri(),
            "runs": [{"name": "bench-directory", "files": [], "dirs": [[str(local_dir), local_dir.name]]}],
        },
    )["runs"][0]
    # A job holds one MLflow run, so the directory gets a job of its own, as add_file_artifact does.
    template = next(j for j in manifest.jobs if j.group_id == manifest.plugin.group_id and j.has_run)
    demo = manifest.demo
    with connect(server.url) as client:
        client.auth.login(demo.username, demo.password)
        session = client.session
        job = session.post(
            f"/experiments/{template.experiment_id}/jobs",
            json={"queue": template.queue_id, "entrypoint": template.entrypoint_id, "description": "bench directory", "values": {}},
        )
        status = f"/experiments/{template.experiment_id}/jobs/{job['id']}/status"
        session.put(status, json={"status": "started"})
        session.post(f"/jobs/{job['id']}/mlflowRun", json={"mlflowRunId": run["run_id"]})
        artifact = client.artifacts.create(
            template.group_id, job["id"], f"{run['artifact_uri']}/{local_dir.name}", description=f"{DIRECTORY_FILES} files"
        )
        session.put(status, json={"status": "finished"})
    return artifact.id


# -- the program's side, in a child process ----------------------------------------------------


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def child_main() -> None:
    """One transfer through a TransferManager; prints time, CPU, size and peak memory growth as JSON."""
    from artifact_browser.core.transfers import TransferKind, TransferManager, TransferRequest, TransferState

    job = json.load(sys.stdin)
    kind = TransferKind(job["kind"])
    out_dir = Path(job["out_dir"])
    with connect(job["url"]) as client:
        client.auth.login(job["username"], job["password"])
        artifact = client.artifacts.get_by_id(job["artifact_id"])
        # The dialog has the listing before a folder download starts; fetched here, outside the timing.
        files = tuple((f.relative_path, f.file_size or 0) for f in client.artifacts.get_files(artifact.id)) if artifact.is_dir else ()
        name = {"file": "ours.bin", "tar_gz": "ours.tar.gz", "zip": "ours.zip", "extract": "ours"}[kind.value]
        request = TransferRequest(
            artifact_id=artifact.id,
            name=artifact.name,
            kind=kind,
            destination=out_dir / name,
            expected_size=artifact.file_size if not artifact.is_dir else sum(size for _, size in files),
            expected_files=files,
        )
        manager = TransferManager(client, max_parallel=2)
        finished = threading.Event()
        first_bytes: list[float] = []

        def watch(transfer) -> None:  # noqa: ANN001 - a Transfer
            if transfer.bytes_done and not first_bytes:
                first_bytes.append(time.perf_counter())
            if transfer.finished:
                finished.set()

        manager.subscribe(watch)
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak-RSS mark: only the transfer counts
        before = _status_kib("VmRSS")
        start, cpu_start = time.perf_counter(), time.process_time()
        transfer_id = manager.submit(request)
        finished.wait()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        growth_mb = (_status_kib("VmHWM") - before) * 1024 / 1e6
        transfer = manager.get(transfer_id)
        manager.shutdown()
    if transfer.state is not TransferState.DONE:
        raise SystemExit(f"transfer ended {transfer.state.value}: {transfer.error}")
    result = transfer.result
    size = sum(p.stat().st_size for p in result.rglob("*") if p.is_file()) if result.is_dir() else result.stat().st_size
    # Progress comes per MiB written, so this is the server's preparation plus the first MiB.
    first = first_bytes[0] - start if first_bytes else seconds
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "bytes": size, "memory_growth_mb": growth_mb, "first_mib_seconds": first}))


# -- the comparison ----------------------------------------------------------------------------


def _clean(out_dir: Path) -> None:
    for leftover in out_dir.iterdir():
        if leftover.name == "curl-cookies":
            continue
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()


def main(size_mib: int = 512, repeat: int = 3) -> None:
    venv = ensure_server_venv()
    with tempfile.TemporaryDirectory(prefix="bench-transfers-") as tmp:
        tmp_path = Path(tmp)
        started = time.perf_counter()
        server, manifest = start_seeded_server(tmp_path / "server")
        try:
            source = tmp_path / "big.bin"
            _make_file(source, size_mib)
            file_id = add_file_artifact(server, source, f"benchmark file of {size_mib} MiB")
            source.unlink()
            local_dir = tmp_path / "bench_directory"
            dir_bytes = _make_directory(local_dir, DIRECTORY_FILES)
            dir_id = _register_directory(server, manifest, local_dir)
            print(f"(setup: server, {size_mib} MiB file and {DIRECTORY_FILES:,}-file directory in {time.perf_counter() - started:.0f} s)")
            out_dir = tmp_path / "out"
            out_dir.mkdir()
            base = {
                "url": server.url,
                "username": manifest.demo.username,
                "password": manifest.demo.password,
                "out_dir": str(out_dir),
            }
            ours = [sys.executable, "-m", "bench.transfers", "child"]
            dioptra = [str(venv.python), "-c", DIOPTRA_CLIENT_SCRIPT]
            cases = {
                "file": {
                    "curl": lambda: _curl({**base, "artifact_id": file_id}),
                    "dioptra.client": lambda: _run_json(dioptra, {**base, "artifact_id": file_id}),
                    "artifact-browser": lambda: _run_json(ours, {**base, "artifact_id": file_id, "kind": "file"}),
                },
                # The server's default for a directory is tar.gz: the baselines get the same archive.
                "directory": {
                    "curl": lambda: _curl({**base, "artifact_id": dir_id}),
                    "dioptra.client": lambda: _run_json(dioptra, {**base, "artifact_id": dir_id}),
                    "artifact-browser": lambda: _run_json(ours, {**base, "artifact_id": dir_id, "kind": "tar_gz"}),
                    "artifact-browser extract": lambda: _run_json(ours, {**base, "artifact_id": dir_id, "kind": "extract"}),
                },
            }
            results: dict[str, dict[str, list[dict]]] = {case: {name: [] for name in runs} for case, runs in cases.items()}
            for rep in range(repeat):
                for case, runs in cases.items():
                    names = list(runs)
                    # Each client takes each place in the order in turn (the one after a big
                    # write competes with the kernel flushing it).
                    for name in names[rep % len(names) :] + names[: rep % len(names)]:
                        result = runs[name]()
                        if case == "file" and result["bytes"] != size_mib * MIB:
                            raise RuntimeError(f"{name} downloaded {result['bytes']} bytes, not {size_mib * MIB}")
                        if name.endswith("extract") and result["bytes"] != dir_bytes:
                            raise RuntimeError(f"{name} unpacked {result['bytes']} bytes, not {dir_bytes}")
                        results[case][name].append(result)
                        _clean(out_dir)
            tar_seconds = _gnu_tar_unpack_seconds({**base, "artifact_id": dir_id}, out_dir, repeat)
        finally:
            server.stop()
    _report(results, size_mib, dir_bytes, repeat, tar_seconds)


def _gnu_tar_unpack_seconds(job: dict, out_dir: Path, repeat: int) -> float:
    """The median time GNU tar takes to unpack the same tar.gz: the floor for creating the files on this disk."""
    archive = out_dir / "curl.bin"
    _curl(job)
    times = []
    for _ in range(repeat):
        target = out_dir / "gnu-tar"
        target.mkdir()
        start = time.perf_counter()
        subprocess.run(["tar", "-xzf", str(archive), "-C", str(target)], check=True)
        times.append(time.perf_counter() - start)
        shutil.rmtree(target)
    _clean(out_dir)
    return statistics.median(times)


def _median_seconds(runs: list[dict]) -> float:
    return statistics.median(r["seconds"] for r in runs)


def _report(results: dict[str, dict[str, list[dict]]], size_mib: int, dir_bytes: int, repeat: int, tar_seconds: float) -> None:
    print(f"\n== Transfers through TransferManager vs curl and dioptra.client (median of {repeat} interleaved runs)")
    file_runs = results["file"]
    print(f"  {size_mib} MiB file artifact:")
    for name, runs in file_runs.items():
        each = ", ".join(f"{size_mib / r['seconds']:.1f}" for r in runs)
        print(f"    {name:26s} {size_mib / _median_seconds(runs):7.1f} MiB/s   cpu {statistics.median(r['cpu_seconds'] for r in runs):5.2f} s   (runs: {each})")
    _ratio_line(file_runs, "artifact-browser")

    dir_runs = results["directory"]
    archive_mib = statistics.median(r["bytes"] for r in dir_runs["curl"]) / MIB
    print(f"  {DIRECTORY_FILES:,}-file directory ({dir_bytes / MIB:.1f} MiB of files, tar.gz of about {archive_mib:.1f} MiB):")
    for name, runs in dir_runs.items():
        each = ", ".join(f"{r['seconds']:.2f}" for r in runs)
        print(f"    {name:26s} {_median_seconds(runs):7.2f} s   cpu {statistics.median(r['cpu_seconds'] for r in runs):5.2f} s   (runs: {each})")
    _ratio_line(dir_runs, "artifact-browser")

    first = statistics.median(r["first_mib_seconds"] for r in dir_runs["artifact-browser"])
    print(f"    (of the tar.gz download, {first:.2f} s pass before the first MiB arrives: the server copies and archives first)")
    download = _median_seconds(dir_runs["artifact-browser"])
    extract = _median_seconds(dir_runs["artifact-browser extract"])
    overhead = extract / download - 1
    print(
        f"  extraction (unpack + check against the listing + rename) adds {overhead * 100:.1f} % to the tar.gz download "
        f"({extract:.2f} s vs {download:.2f} s)   (goal < {EXTRACT_GOAL * 100:.0f} %: {'met' if overhead < EXTRACT_GOAL else 'NOT met'})"
    )
    print(
        f"    (baseline: GNU tar unpacks the same tar.gz in {tar_seconds:.2f} s = {tar_seconds / download * 100:.1f} % of the download; "
        f"the program's extra step takes {extract - download:.2f} s = {(extract - download) / tar_seconds:.2f} x GNU tar)"
    )
    ours = [r for case in results.values() for name, runs in case.items() if name.startswith("artifact-browser") for r in runs]
    growth = max(r["memory_growth_mb"] for r in ours)
    print(f"  artifact-browser peak memory growth over all its runs: {growth:.1f} MB   (goal < {MEMORY_GOAL_MB} MB: {'met' if growth < MEMORY_GOAL_MB else 'NOT met'})")


def _ratio_line(runs: dict[str, list[dict]], ours: str) -> None:
    best = min(("curl", "dioptra.client"), key=lambda name: _median_seconds(runs[name]))
    ratio = _median_seconds(runs[best]) / _median_seconds(runs[ours])
    print(f"    throughput ratio to the faster baseline ({best}): {ratio:.2f} x   (goal >= 1.0: {'met' if ratio >= 1.0 else 'NOT met'})")


if __name__ == "__main__":
    if sys.argv[1:] == ["child"]:
        child_main()
    else:
        main()
