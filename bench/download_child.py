"""One timed ``get_contents`` in a fresh process, reporting time, CPU and peak memory growth.

The job (with the password) arrives as JSON on stdin, never on the command line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from artifact_browser.api import connect


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


_fsync_seconds = 0.0
_real_fsync = os.fsync


def _timed_fsync(fd: int) -> None:
    # The only step the baselines skip: reported apart, so its share is visible.
    global _fsync_seconds
    start = time.perf_counter()
    _real_fsync(fd)
    _fsync_seconds += time.perf_counter() - start


def main() -> None:
    os.fsync = _timed_fsync
    job = json.load(sys.stdin)
    with connect(job["url"]) as client:
        client.auth.login(job["username"], job["password"])
        artifact = client.artifacts.get_by_id(job["artifact_id"])
        # Reset the peak-RSS mark so only the download's own growth is measured.
        Path("/proc/self/clear_refs").write_text("5")
        before = _status_kib("VmRSS")
        start, cpu_start = time.perf_counter(), time.process_time()
        path = client.artifacts.get_contents(artifact, output_dir=job["out_dir"], file_stem="ours")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        growth_mb = (_status_kib("VmHWM") - before) * 1024 / 1e6
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "fsync_seconds": _fsync_seconds,
                "bytes": path.stat().st_size,
                "memory_growth_mb": growth_mb,
            }
        )
    )


if __name__ == "__main__":
    main()
