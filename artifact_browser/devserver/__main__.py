"""``artifact-browser-devserver``: run a local Dioptra server with demo data.

    artifact-browser-devserver start   # provision, start in the background, seed once
    artifact-browser-devserver status
    artifact-browser-devserver seed    # seed a running, unseeded server
    artifact-browser-devserver stop
    artifact-browser-devserver provision   # only install the server's own environment

The server keeps running after ``start`` returns; ``stop`` finds it through
``server.json`` in the work folder.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from pathlib import Path

from artifact_browser.devserver.manifest import SeedManifest
from artifact_browser.devserver.provision import ProvisionError, ensure_server_venv
from artifact_browser.devserver.seed import SeedError, seed
from artifact_browser.devserver.seeded import default_workdir, ensure_demo_server
from artifact_browser.devserver.server import LOG_DIR, DevServer, DevServerError

log = logging.getLogger("artifact_browser.devserver")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="artifact-browser-devserver", description="Run a local Dioptra 1.2.2 server with demo data.")
    parser.add_argument("--workdir", type=Path, default=None, help=f"work folder (default: {default_workdir()})")
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug output (pip, server steps)")
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start the server in the background (seeding a new one)")
    start.add_argument("--port", type=int, default=None, help="REST API port (default: the previous one if free, else any free port)")
    start.add_argument("--fresh", action="store_true", help="delete the work folder's data first")
    commands.add_parser("stop", help="stop the server")
    commands.add_parser("status", help="tell whether the server runs and where")
    commands.add_parser("seed", help="seed a running server that has no demo data yet")
    commands.add_parser("provision", help="only create (or check) the server's own Python environment")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s", stream=sys.stderr)
    if not args.verbose:
        # One line per HTTP call drowns the progress lines.
        logging.getLogger("httpx").setLevel(logging.WARNING)
    workdir: Path = (args.workdir or default_workdir()).expanduser().resolve()
    try:
        return {"start": _start, "stop": _stop, "status": _status, "seed": _seed, "provision": _provision}[args.command](workdir, args)
    except (ProvisionError, DevServerError, SeedError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _start(workdir: Path, args: argparse.Namespace) -> int:
    if args.fresh:
        running = DevServer.attach(workdir)
        if running is not None:
            running.stop()
        if workdir.exists():
            shutil.rmtree(workdir)
    # Processes run in their own sessions, so they outlive this command.
    manifest, started = ensure_demo_server(workdir, port=args.port)
    state = "is running" if started else "was already running"
    print(f"Dioptra {manifest.url} {state} (work folder {workdir}; logs in {workdir / LOG_DIR}).")
    _print_login(manifest)
    print("Stop it with: artifact-browser-devserver stop" + ("" if args.workdir is None else f" --workdir {workdir}"))
    return 0


def _provision(workdir: Path, args: argparse.Namespace) -> int:
    venv = ensure_server_venv()
    print(f"The Dioptra server environment is ready in {venv.root}.")
    return 0


def _stop(workdir: Path, args: argparse.Namespace) -> int:
    server = DevServer.attach(workdir)
    if server is None or not server.pids:
        if server is not None:
            server.stop()  # forgets the stale server.json
        print(f"No dev server is running in {workdir}.")
        return 0
    server.stop()
    print(f"Stopped the dev server at {server.url}.")
    return 0


def _status(workdir: Path, args: argparse.Namespace) -> int:
    server = DevServer.attach(workdir)
    if server is None or not server.pids:
        print(f"Not running (work folder {workdir}).")
        return 1
    healthy = server.is_healthy()
    print(f"{server.url} {'healthy' if healthy else 'NOT answering'}; pids {server.pids}; work folder {workdir}")
    manifest = SeedManifest.load(workdir)
    if manifest is None:
        print("Not seeded (run: artifact-browser-devserver seed).")
    else:
        print(
            f"Seeded: {len(manifest.users)} users, {len(manifest.groups)} groups, "
            f"{len(manifest.jobs)} jobs, {len(manifest.artifacts)} artifacts."
        )
        _print_login(manifest)
    return 0 if healthy and server.is_running() else 1


def _seed(workdir: Path, args: argparse.Namespace) -> int:
    server = DevServer.attach(workdir)
    if server is None or not server.is_running():
        print(f"error: no dev server is running in {workdir}; start one first.", file=sys.stderr)
        return 1
    if SeedManifest.load(workdir) is not None:
        print(f"Already seeded (see {workdir / 'seed.json'}).")
        return 0
    manifest = seed(server)
    print(f"Seeded {len(manifest.jobs)} jobs and {len(manifest.artifacts)} artifacts in {manifest.seconds:.1f} s.")
    _print_login(manifest)
    return 0


def _print_login(manifest: SeedManifest | None) -> None:
    # A throwaway account on a loopback-only server: printing it is the point.
    if manifest is not None:
        demo = manifest.demo
        print(f"Demo login: {demo.username} / {demo.password}")


if __name__ == "__main__":
    sys.exit(main())
