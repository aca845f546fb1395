"""The main window and the command that opens it, against the real local Dioptra server."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.errors import NoKeyringError
from PySide6.QtCore import QLocale, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from artifact_browser import app
from artifact_browser.api import DioptraClient, connect
from artifact_browser.qt.artifact_table_model import Column
from artifact_browser.qt.main_window import PAGE_LENGTH, MainWindow

SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "screenshots"
TIMEOUT_MS = 15_000


def save_screenshot(widget: QWidget, name: str) -> Path:
    """Save what ``widget`` shows as ``screenshots/<name>.png`` and return the path.

    Offscreen, ``grab()`` renders the widget as a user would see it; look at the file.
    """
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    if not widget.grab().save(str(path)):
        raise OSError(f"could not save {path}")
    return path


def closed_port_url() -> str:
    """A loopback URL where nothing listens: the port was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _status(window: MainWindow) -> str:
    return window.status_label.text()


def _visible_dialogs() -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]


@pytest.fixture
def alice(dioptra) -> Iterator[DioptraClient]:
    """A client signed in as the demo user."""
    user = dioptra.manifest.demo
    client = connect(dioptra.url)
    client.auth.login(user.username, user.password)
    yield client
    client.close()


@pytest.fixture
def open_window(qtbot):
    def open_(client: DioptraClient) -> MainWindow:
        window = MainWindow(client)
        qtbot.addWidget(window)
        window.show()
        return window

    return open_


def _wait_loaded(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: _status(window) != "Loading…", timeout=TIMEOUT_MS)


# -- the window ---------------------------------------------------------------------


def test_window_shows_the_newest_artifacts_of_the_signed_in_server(qtbot, alice: DioptraClient, open_window) -> None:
    window = open_window(alice)
    assert _status(window) == "Loading…"  # the answer comes later, off the GUI thread
    assert "alice" in window.windowTitle() and alice.address in window.windowTitle()
    _wait_loaded(qtbot, window)

    expected = alice.artifacts.get(page_length=PAGE_LENGTH, sort_by="createdOn", descending=True)
    assert expected.total > 0
    model = window.table.model()
    assert model.rowCount() == len(expected.items)
    assert model.data(model.index(0, Column.ID)) == str(expected.items[0].id)
    locale = QLocale()
    assert _status(window) == f"{locale.toString(len(expected.items))} of {locale.toString(expected.total)} artifacts"

    shot = save_screenshot(window, "main_window")
    assert shot.stat().st_size > 0


def test_f5_loads_the_artifacts_again(qtbot, alice: DioptraClient, open_window) -> None:
    window = open_window(alice)
    _wait_loaded(qtbot, window)
    first_page = window.model.page
    loaded_message = _status(window)

    window.activateWindow()
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_F5)
    assert _status(window) == "Loading…"
    _wait_loaded(qtbot, window)
    assert window.model.page is not first_page
    assert _status(window) == loaded_message


def test_an_unreachable_server_is_reported_in_the_status_bar(qtbot, open_window) -> None:
    with connect(closed_port_url()) as client:
        window = open_window(client)
        _wait_loaded(qtbot, window)
        assert _status(window).startswith("Could not load artifacts: Cannot connect to http://127.0.0.1:")
        assert window.model.rowCount() == 0
        assert _visible_dialogs() == []


# -- the artifact-browser command -----------------------------------------------------


class _Boxes:
    """Stands in for the modal error box, which would wait for a click forever."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str]] = []

    def __call__(self, title: str, text: str) -> None:
        self.shown.append((title, text))


@pytest.fixture
def error_boxes(monkeypatch: pytest.MonkeyPatch) -> _Boxes:
    boxes = _Boxes()
    monkeypatch.setattr(app, "show_error", boxes)
    return boxes


@pytest.fixture
def keyring_holds(monkeypatch: pytest.MonkeyPatch):
    """Put a password into a fake OS keyring; records which accounts were asked for."""
    asked: list[tuple[str, str]] = []

    def hold(password: str | None) -> list[tuple[str, str]]:
        def get_password(service: str, account: str) -> str | None:
            asked.append((service, account))
            return password

        monkeypatch.setattr(app.keyring, "get_password", get_password)
        return asked

    return hold


@pytest.fixture
def log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the program's log folder at a temporary one; remove its handler afterwards."""
    monkeypatch.setattr(app.platformdirs, "user_log_dir", lambda *args, **kwargs: str(tmp_path))
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    yield tmp_path / app.LOG_FILE
    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


@pytest.fixture
def no_window(monkeypatch: pytest.MonkeyPatch) -> list[DioptraClient]:
    """Replace the event loop with a record of the client the window would get."""
    opened: list[DioptraClient] = []

    def run_window(client: DioptraClient) -> int:
        opened.append(client)
        assert client.session.signed_in
        return 0

    monkeypatch.setattr(app, "run_window", run_window)
    return opened


def test_command_signs_in_with_the_keyring_password(qtbot, dioptra, keyring_holds, error_boxes, no_window, log_file) -> None:
    alice = dioptra.manifest.demo
    asked = keyring_holds(alice.password)
    assert app.main(["--server", dioptra.url, "--username", alice.username]) == 0
    assert asked == [("artifact-browser", f"{alice.username}@{dioptra.url}")]
    assert [c.session.username for c in no_window] == [alice.username]
    assert error_boxes.shown == []


def test_a_wrong_password_is_a_message_not_a_traceback(qtbot, dioptra, keyring_holds, error_boxes, no_window, log_file) -> None:
    keyring_holds("not-alices-password-8731")
    status = app.main(["--server", dioptra.url, "--username", "alice"])
    assert status == app.EXIT_SIGN_IN_FAILED
    assert no_window == []
    ((title, text),) = error_boxes.shown
    assert title == "Cannot sign in"
    assert "Invalid username or password" in text
    log_text = log_file.read_text(encoding="utf-8")
    assert "alice" in log_text
    assert "not-alices-password-8731" not in log_text


def test_an_unreachable_server_at_sign_in_is_a_message(qtbot, keyring_holds, error_boxes, no_window, log_file) -> None:
    keyring_holds("whatever")
    url = closed_port_url()
    assert app.main(["--server", url, "--username", "alice"]) == app.EXIT_SIGN_IN_FAILED
    ((_, text),) = error_boxes.shown
    assert f"Cannot connect to {url}" in text


def test_without_a_stored_password_the_user_is_asked(qtbot, dioptra, keyring_holds, error_boxes, no_window, log_file, monkeypatch) -> None:
    keyring_holds(None)
    asked_for = []
    monkeypatch.setattr(app, "ask_password", lambda username, address: asked_for.append((username, address)))
    # "localhost" is spelled as the session will spell it (see normalize_address).
    url = dioptra.url.replace("127.0.0.1", "localhost")
    assert app.main(["--server", url, "--username", "alice"]) == app.EXIT_SIGN_IN_FAILED  # cancelled
    assert asked_for == [("alice", dioptra.url)]
    assert error_boxes.shown == [] and no_window == []


def test_a_keyring_without_backend_falls_back_to_asking(qtbot, error_boxes, no_window, log_file, monkeypatch) -> None:
    def broken(service: str, account: str) -> str:
        raise NoKeyringError("No recommended backend was available.")

    monkeypatch.setattr(app.keyring, "get_password", broken)
    monkeypatch.setattr(app, "ask_password", lambda username, address: None)
    assert app.main(["--server", closed_port_url(), "--username", "alice"]) == app.EXIT_SIGN_IN_FAILED
    assert error_boxes.shown == []
    assert "keyring could not be read" in log_file.read_text(encoding="utf-8")


def test_an_unusable_ca_bundle_is_a_message(qtbot, tmp_path: Path, keyring_holds, error_boxes, no_window, log_file) -> None:
    keyring_holds("whatever")
    missing = tmp_path / "missing-ca.pem"
    argv = ["--server", "https://127.0.0.1:1", "--username", "alice", "--ca-bundle", str(missing)]
    assert app.main(argv) == app.EXIT_SIGN_IN_FAILED
    ((_, text),) = error_boxes.shown
    assert f"The CA bundle {missing} cannot be used: No such file or directory" == text


def test_run_window_shows_the_window_until_it_is_closed(qtbot, alice: DioptraClient, log_file) -> None:
    seen = []

    def close_once_loaded() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if windows and _status(windows[0]) != "Loading…":
            seen.append(_status(windows[0]))
            windows[0].close()

    poll = QTimer()
    poll.timeout.connect(close_once_loaded)
    poll.start(20)
    give_up = QTimer(singleShot=True, interval=TIMEOUT_MS)  # a window that never loads must not hang the run
    give_up.timeout.connect(QApplication.quit)
    give_up.start()
    assert app.run_window(alice) == 0
    poll.stop()
    give_up.stop()
    assert len(seen) == 1 and seen[0].endswith("artifacts")
    assert alice.session.signed_in  # the caller still owns the client


def test_a_password_is_never_taken_from_the_command_line(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        app.main(["--server", "http://127.0.0.1:1", "--username", "alice", "--password", "secret"])
    assert exited.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err
