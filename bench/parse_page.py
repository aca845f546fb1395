"""Client time to turn a 1,000-row artifact page into typed models (goal: < 20 ms).

The row shape comes from the real local server; it is repeated with distinct
ids to reach 1,000 rows, the server's largest page. The baseline is
``json.loads`` of the same body: the part no client can avoid.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time

from artifact_browser.api import connect
from artifact_browser.api.models import Artifact, Page
from artifact_browser.devserver import start_seeded_server

ROWS = 1000
GOAL_MS = 20.0


def _timings_ms(work, repeat: int = 30) -> tuple[float, float]:
    """(best, median) of ``repeat`` runs: the best is the cost without other load."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return min(times), statistics.median(times)


def build_body(rows: list[dict]) -> bytes:
    """A page body of ROWS rows built from real rows (cycled, ids renumbered)."""
    data = [dict(rows[i % len(rows)], id=i + 1, snapshot=i + 1) for i in range(ROWS)]
    return json.dumps({"index": 0, "isComplete": False, "totalNumResults": 5 * ROWS, "data": data}).encode()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-parse-") as workdir:
        server, manifest = start_seeded_server(workdir)
        try:
            with connect(server.url) as client:
                client.auth.login(manifest.demo.username, manifest.demo.password)
                real = client.session.get("/artifacts/", {"index": 0, "pageLength": 1000, "sortBy": "id"})["data"]
        finally:
            server.stop()
    body = build_body(real)
    decode = _timings_ms(lambda: json.loads(body))
    full = _timings_ms(lambda: Page.from_json(json.loads(body), Artifact.from_json, ROWS))
    print(f"\n== Parsing a {ROWS}-row artifact page ({len(body) / 1024:.0f} KiB, rows shaped by {len(real)} real rows)")
    print("                                   best    median of 30")
    print(f"  json.loads alone (baseline)     {decode[0]:7.2f} ms {decode[1]:7.2f} ms")
    verdict = "met" if full[0] < GOAL_MS else "NOT met"
    print(f"  json.loads + typed models       {full[0]:7.2f} ms {full[1]:7.2f} ms   (goal < {GOAL_MS:.0f} ms: {verdict})")
    print(f"  typed models alone              {full[0] - decode[0]:7.2f} ms")


if __name__ == "__main__":
    main()
