"""The ``artifact-browser`` command: sign in to a Dioptra server and open the window.

The password comes from the OS keyring, or else from a password field; it is
never read from the command line or the environment, and never logged.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from logging.handlers import RotatingFileHandler
from pathlib import Path

import keyring
import platformdirs
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox

from artifact_browser import __version__
from artifact_browser.api import ApiError, DioptraClient, connect
from artifact_browser.api.session import normalize_address
from artifact_browser.qt.main_window import APP_TITLE, MainWindow

log = logging.getLogger(__name__)

APP_NAME = "artifact-browser"
KEYRING_SERVICE = "artifact-browser"
LOG_FILE = "artifact-browser.log"
# Workers still talking to a server when the window closes get this long to finish.
_SHUTDOWN_WAIT_MS = 3000

EXIT_OK = 0
EXIT_SIGN_IN_FAILED = 1


def keyring_account(username: str, address: str) -> str:
    """The keyring account name of ``username`` on the server at ``address``."""
    return f"{username}@{normalize_address(address)}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the program: sign in as ``--username`` on ``--server``, then show the window.

    Returns:
        The exit status: 0 after a normal close, 1 when signing in failed or was
        cancelled (argparse exits with 2 on bad options).
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.demo and not (args.server and args.username):
        parser.error("give --server and --username, or --demo")
    configure_logging()
    application()
    if args.demo:
        return _run_demo()
    try:
        address = normalize_address(args.server)
    except ValueError as exc:
        show_error("Cannot sign in", str(exc))
        return EXIT_SIGN_IN_FAILED
    password = stored_password(args.username, address)
    if password is None:
        password = ask_password(args.username, address)
        if password is None:
            log.info("Sign-in cancelled by the user")
            return EXIT_SIGN_IN_FAILED
    return _sign_in_and_run(address, args.username, password, ca_bundle=args.ca_bundle)


def _run_demo() -> int:
    """Start (or reuse) the seeded local Dioptra server and open the window signed in.

    The demo account's password goes from the seed manifest to the client in
    this process only; it never crosses a command line.
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
    return _sign_in_and_run(manifest.url, demo.username, demo.password)


def _sign_in_and_run(address: str, username: str, password: str, *, ca_bundle: str | None = None) -> int:
    client = sign_in(address, username, password, ca_bundle=ca_bundle)
    if client is None:
        return EXIT_SIGN_IN_FAILED
    try:
        return run_window(client)
    finally:
        client.close()


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


def sign_in(address: str, username: str, password: str, *, ca_bundle: str | None = None) -> DioptraClient | None:
    """Connect and sign in; on failure, say why in a message box and return None.

    Args:
        address: The server's URL.
        username: The Dioptra user name.
        password: The password (kept in memory only, for a transparent re-login).
        ca_bundle: A PEM file of CA certificates to trust instead of the system's.
    """
    log.info("Signing in to %s as %s", address, username)
    title = "Cannot sign in"
    try:
        client = connect(address, verify=ca_bundle or True)
    except OSError as exc:  # ssl.SSLError included: a file that is not a PEM bundle
        show_error(title, f"The CA bundle {ca_bundle} cannot be used: {exc.strerror or exc}")
        return None
    except ValueError as exc:
        show_error(title, str(exc))
        return None
    app = QApplication.instance()
    # Signing in happens before the window exists, so a busy cursor is the feedback.
    if app is not None:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        client.auth.login(username, password)
    except ApiError as exc:
        client.close()
        log.warning("Sign-in to %s as %s failed: %s", address, username, exc)
        show_error(title, f"Could not sign in to {client.address} as {username}.\n\n{exc.message}")
        return None
    except Exception as exc:
        client.close()
        log.error("Unexpected failure while signing in to %s", address, exc_info=exc)
        show_error(title, f"Could not sign in to {address} as {username} (unexpected error: {exc}).")
        return None
    finally:
        if app is not None:
            QApplication.restoreOverrideCursor()
    log.info("Signed in to %s as %s", client.address, username)
    return client


def stored_password(username: str, address: str) -> str | None:
    """The password the OS keyring holds for ``username`` on ``address``, if any.

    A missing or unusable keyring backend (common on headless Linux) is not an
    error: the user is asked instead.
    """
    try:
        return keyring.get_password(KEYRING_SERVICE, keyring_account(username, address))
    except Exception as exc:  # noqa: BLE001 - any backend failure means "ask the user"
        log.warning("The OS keyring could not be read (%s); asking for the password", type(exc).__name__)
        return None


def ask_password(username: str, address: str) -> str | None:
    """Ask for the password in a small dialog; None when the user cancels."""
    text, accepted = QInputDialog.getText(
        None,
        f"Sign in — {APP_TITLE}",
        f"Password for {username} on {address}:",
        QLineEdit.EchoMode.Password,
    )
    return text if accepted else None


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
        description="Browse the artifacts of a Dioptra server. The password is taken from the "
        f"OS keyring (service {KEYRING_SERVICE!r}, account USERNAME@SERVER) or asked for.",
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
        help="a PEM file of CA certificates to trust (for a server with a private CA); TLS is always verified",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser
