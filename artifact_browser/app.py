"""The ``artifact-browser`` command: sign in to a Dioptra server and open the window.

Signing in goes through :class:`SignInDialog` (saved profiles, the OS keyring,
the network off the GUI thread). The password comes from the OS keyring or
the dialog; it is never read from the command line or the environment, and
never logged.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

import platformdirs
from PySide6.QtCore import QEventLoop, QThreadPool
from PySide6.QtWidgets import QApplication, QMessageBox

from artifact_browser import __version__
from artifact_browser.api import ApiError, CancelToken, DioptraClient, connect
from artifact_browser.core.credentials import SERVICE as KEYRING_SERVICE
from artifact_browser.core.credentials import CredentialStore
from artifact_browser.core.profiles import ProfileStore
from artifact_browser.qt.error_dialog import install_excepthook
from artifact_browser.qt.main_window import MainWindow
from artifact_browser.qt.sign_in_dialog import SignInDialog
from artifact_browser.qt.workers import TaskRunner

log = logging.getLogger(__name__)

APP_NAME = "artifact-browser"
LOG_FILE = "artifact-browser.log"
# Workers still talking to a server when the window closes get this long to finish.
_SHUTDOWN_WAIT_MS = 3000

EXIT_OK = 0
EXIT_SIGN_IN_FAILED = 1

__all__ = ["KEYRING_SERVICE", "main", "run_window", "sign_in_with_dialog"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the program: sign in, then show the window until it is closed.

    With ``--server`` and ``--username`` it signs in at once with the password
    from the OS keyring, showing the sign-in dialog (filled in) only if the
    password is missing or refused or the server cannot be reached. Without
    them it opens the sign-in dialog on the last used profile.

    Returns:
        The exit status: 0 after a normal close, 1 when signing in failed or was
        cancelled (argparse exits with 2 on bad options).
    """
    args = _parser().parse_args(argv)
    configure_logging()
    application()
    # While the program runs, an error nothing caught (a bug) shows its details instead of vanishing.
    previous_hook = install_excepthook()
    try:
        return _run(args)
    finally:
        sys.excepthook = previous_hook


def _run(args: argparse.Namespace) -> int:
    if args.demo:
        return _run_demo()
    client = sign_in_with_dialog(server=args.server, username=args.username, ca_bundle=args.ca_bundle)
    if client is None:
        log.info("Sign-in cancelled by the user")
        return EXIT_SIGN_IN_FAILED
    try:
        return run_window(client)
    finally:
        client.close()


def sign_in_with_dialog(
    *,
    server: str | None = None,
    username: str | None = None,
    ca_bundle: str | None = None,
    profiles: ProfileStore | None = None,
    credentials: CredentialStore | None = None,
) -> DioptraClient | None:
    """Sign in through the sign-in dialog; returns the signed-in client, or None if the user gave up.

    Args:
        server: The server to sign in to (as typed on the command line), if given.
        username: The user name, if given. With ``server``, the dialog stays
            hidden unless it has something to ask or to say.
        ca_bundle: A PEM file of CA certificates to trust for ``server``.
        profiles: The saved profiles (the user's profiles file by default).
        credentials: The password store (the OS keyring by default).
    """
    dialog = SignInDialog(profiles or ProfileStore(), credentials or CredentialStore())
    try:
        if server or username:
            dialog.fill(server or "", username or "", ca_bundle=ca_bundle)
        loop = QEventLoop()
        dialog.finished.connect(loop.quit)
        if server and username:
            dialog.sign_in_quietly()
        else:
            dialog.show()
        # A local loop rather than exec(): the dialog may stay hidden the whole time.
        loop.exec()
        return dialog.client if dialog.result() == SignInDialog.DialogCode.Accepted else None
    finally:
        dialog.hide()
        dialog.deleteLater()


def _run_demo() -> int:
    """Start (or reuse) the seeded local Dioptra server and open the window signed in.

    The demo account's password goes from the seed manifest to the client in
    this process only; it never crosses a command line, a keyring or a profile.
    """
    # Imported here: only the demo needs the dev server's code.
    from artifact_browser.devserver import DevServerError, ProvisionError, SeedError, ensure_demo_server

    print("Starting the local Dioptra server (the first time takes a minute)…", file=sys.stderr)
    try:
        manifest, started = ensure_demo_server()
    except (DevServerError, ProvisionError, SeedError, ApiError) as exc:
        show_error("Cannot start the local Dioptra server", str(exc))
        return EXIT_SIGN_IN_FAILED
    print(
        f"Dioptra is running at {manifest.url}"
        + ("" if started else " (already running)")
        + "; stop it with: artifact-browser-devserver stop",
        file=sys.stderr,
    )
    demo = manifest.demo
    url = manifest.url

    def sign_in(token: CancelToken) -> DioptraClient:
        client = connect(url)
        try:
            client.auth.login(demo.username, demo.password)
        except BaseException:
            client.close()
            raise
        return client

    try:
        client = run_in_background(sign_in)
    except ApiError as exc:
        show_error("Cannot sign in", f"Could not sign in to {url} as {demo.username}.\n\n{exc.message}")
        return EXIT_SIGN_IN_FAILED
    except Exception as exc:  # noqa: BLE001 - say it, with the details in the log
        log.error("Unexpected failure while signing in to %s", url, exc_info=exc)
        show_error("Cannot sign in", f"Could not sign in to {url} as {demo.username} (unexpected error: {exc}).")
        return EXIT_SIGN_IN_FAILED
    try:
        return run_window(client)
    finally:
        client.close()


def run_in_background(work: Callable[[CancelToken], Any]) -> Any:
    """Run ``work`` on a worker thread while the GUI thread keeps turning; return its result.

    Raises:
        Exception: whatever ``work`` raised.
    """
    runner = TaskRunner()
    loop = QEventLoop()
    outcome: dict[str, Any] = {}

    def done(key: str, value: object) -> None:
        outcome[key] = value
        loop.quit()

    runner.finished.connect(lambda result: done("result", result))
    runner.failed.connect(lambda exc: done("error", exc))
    runner.start(work)
    if not outcome:  # an answer can only arrive through the loop, but be sure not to wait for nothing
        loop.exec()
    runner.deleteLater()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def run_window(client: DioptraClient) -> int:
    """Show the main window for an already signed-in client until it is closed.

    The caller keeps ownership of ``client`` (and closes it afterwards).

    Returns:
        The Qt event loop's exit status.
    """
    configure_logging()
    app = application()
    window = MainWindow(client)
    window.show()
    try:
        return app.exec()
    finally:
        window.close()
        window.deleteLater()
        # A request may still be running: let it end before the client is closed under it.
        if not QThreadPool.globalInstance().waitForDone(_SHUTDOWN_WAIT_MS):
            log.warning("Background work still running at exit")


def show_error(title: str, text: str) -> None:
    """Tell the user about a failure in a modal message box (tests replace this)."""
    QMessageBox.critical(None, title, text)


def application() -> QApplication:
    """The running QApplication, created on first use."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName(APP_NAME)
        app.setApplicationVersion(__version__)
    assert isinstance(app, QApplication)
    return app


def configure_logging(level: int = logging.INFO) -> Path | None:
    """Send log records to a rotating file in the platform's log folder (once per process).

    Returns:
        The log file, or None when the log folder cannot be written.
    """
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_artifact_browser", False):
            return Path(handler.baseFilename)  # type: ignore[attr-defined]
    path = Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)) / LOG_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except OSError as exc:
        print(f"artifact-browser: cannot write the log file {path}: {exc}", file=sys.stderr)
        return None
    handler._artifact_browser = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    return path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=APP_NAME,
        description="Browse the artifacts of a Dioptra server. Without options, the sign-in dialog "
        "opens on the last used server profile. The password is taken from the OS keyring "
        f"(service {KEYRING_SERVICE!r}, user name USERNAME@SERVER) or asked for.",
    )
    parser.add_argument("--server", metavar="URL", help="the Dioptra server, e.g. http://127.0.0.1:5000")
    parser.add_argument("--username", metavar="NAME", help="your Dioptra user name")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start a seeded local Dioptra server (or use the running one) and sign in to it as the demo user",
    )
    parser.add_argument(
        "--ca-bundle",
        metavar="PATH",
        help="a PEM file of CA certificates to trust (for a server with a private CA)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser
