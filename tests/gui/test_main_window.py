"""The main window and the command that opens it, against the real local Dioptra server."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from artifact_browser import app
from artifact_browser.api import DioptraClient, connect
from artifact_browser.core import profiles as profiles_module
from artifact_browser.core.profiles import ProfileStore, ServerProfile
from artifact_browser.qt.artifact_table_model import Column
from artifact_browser.qt.main_window import MainWindow
from artifact_browser.qt.settings import DEFAULT_PAGE_SIZE
from artifact_browser.qt.sign_in_dialog import SignInDialog
from background import let_background_requests_finish
from gui_support import save_screenshot
from memory_keyring import MemoryKeyring, memory_keyring, no_keyring_backend  # noqa: F401 - fixtures

TIMEOUT_MS = 15_000


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
    let_background_requests_finish()
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

    # Newest first, by id: the server sorts "createdOn" by each artifact's latest edit.
    expected = alice.artifacts.get(page_length=DEFAULT_PAGE_SIZE, sort_by="id", descending=True)
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
def profiles_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the saved server profiles at a temporary file."""
    path = tmp_path / "config" / "profiles.json"
    monkeypatch.setattr(profiles_module, "default_profiles_path", lambda: path)
    return path


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


class _DialogWatch:
    """Plays the user while ``app.main`` waits for the sign-in dialog.

    Every 20 ms it looks for a visible, idle sign-in dialog; the first time it
    finds one it records what the dialog says and hands it to ``answer``. A
    dialog still open after the timeout is cancelled, so a test cannot hang.
    """

    def __init__(self, answer: Callable[[SignInDialog], None] | None = None) -> None:
        self.answer = answer or (lambda dialog: dialog.reject())
        self.seen: list[dict[str, str]] = []
        self._poll = QTimer(interval=20)
        self._poll.timeout.connect(self._look)
        self._poll.start()
        self._give_up = QTimer(singleShot=True, interval=TIMEOUT_MS)
        self._give_up.timeout.connect(self._cancel_all)
        self._give_up.start()

    def _dialogs(self) -> list[SignInDialog]:
        return [w for w in QApplication.topLevelWidgets() if isinstance(w, SignInDialog) and w.isVisible()]

    def _look(self) -> None:
        dialogs = self._dialogs()
        if not dialogs or dialogs[0].is_busy or self.seen:
            return
        dialog = dialogs[0]
        if dialog.is_reading_keyring:
            return  # let the stored password (or the missing keyring) show first
        self.seen.append(
            {
                "message": dialog.message_label.text() if dialog.message_label.isVisible() else "",
                "notice": dialog.notice_label.text() if dialog.notice_label.isVisible() else "",
                "url": dialog.url_edit.text(),
                "username": dialog.username_edit.text(),
                "password": dialog.password_edit.text(),
                "profile": dialog.profile_combo.currentText(),
            }
        )
        self.answer(dialog)

    def _cancel_all(self) -> None:
        for dialog in self._dialogs():
            dialog.reject()

    def stop(self) -> None:
        self._poll.stop()
        self._give_up.stop()


@pytest.fixture
def dialog_watch() -> Iterator[Callable[..., _DialogWatch]]:
    watches: list[_DialogWatch] = []

    def watch(answer: Callable[[SignInDialog], None] | None = None) -> _DialogWatch:
        watches.append(_DialogWatch(answer))
        return watches[-1]

    yield watch
    for w in watches:
        w.stop()


def _type_password_and_sign_in(password: str) -> Callable[[SignInDialog], None]:
    def answer(dialog: SignInDialog) -> None:
        dialog.password_edit.setText(password)
        dialog.sign_in()

    return answer


def test_command_signs_in_with_the_keyring_password_without_a_dialog(
    qtbot, dioptra, memory_keyring: MemoryKeyring, profiles_file, dialog_watch, error_boxes, no_window, log_file
) -> None:
    alice = dioptra.manifest.demo
    memory_keyring.passwords[("artifact-browser", f"{alice.username}@{dioptra.url}")] = alice.password
    watch = dialog_watch()
    assert app.main(["--server", dioptra.url, "--username", alice.username]) == 0
    assert ("get", "artifact-browser", f"{alice.username}@{dioptra.url}") in memory_keyring.calls
    assert [c.session.username for c in no_window] == [alice.username]
    assert watch.seen == [] and error_boxes.shown == []
    # The server is remembered for the next start without options.
    assert ProfileStore(profiles_file).last_used == ServerProfile(
        f"{alice.username}@{dioptra.url.removeprefix('http://')}", dioptra.url, alice.username
    )


def test_a_wrong_password_opens_the_dialog_with_the_reason(
    qtbot, dioptra, memory_keyring: MemoryKeyring, profiles_file, dialog_watch, error_boxes, no_window, log_file
) -> None:
    memory_keyring.passwords[("artifact-browser", f"alice@{dioptra.url}")] = "not-alices-password-8731"
    watch = dialog_watch()
    status = app.main(["--server", dioptra.url, "--username", "alice"])
    assert status == app.EXIT_SIGN_IN_FAILED
    assert no_window == [] and error_boxes.shown == []
    (seen,) = watch.seen
    assert "Invalid username or password" in seen["message"] and "OS keyring" in seen["message"]
    assert (seen["url"], seen["username"]) == (dioptra.url, "alice")
    log_text = log_file.read_text(encoding="utf-8")
    assert "alice" in log_text
    assert "not-alices-password-8731" not in log_text


def test_an_unreachable_server_at_sign_in_is_said_in_the_dialog(
    qtbot, memory_keyring, profiles_file, dialog_watch, error_boxes, no_window, log_file
) -> None:
    url = closed_port_url()
    memory_keyring.passwords[("artifact-browser", f"alice@{url}")] = "whatever"
    watch = dialog_watch()
    assert app.main(["--server", url, "--username", "alice"]) == app.EXIT_SIGN_IN_FAILED
    (seen,) = watch.seen
    assert f"Cannot connect to {url}" in seen["message"]
    assert error_boxes.shown == []


def test_without_a_stored_password_the_dialog_asks_for_it(
    qtbot, dioptra, memory_keyring: MemoryKeyring, profiles_file, dialog_watch, error_boxes, no_window, log_file
) -> None:
    alice = dioptra.manifest.demo
    watch = dialog_watch(_type_password_and_sign_in(alice.password))
    # "localhost" is spelled as the session will spell it (see normalize_address).
    url = dioptra.url.replace("127.0.0.1", "localhost")
    assert app.main(["--server", url, "--username", alice.username]) == 0
    (seen,) = watch.seen
    assert seen["message"] == f"No password is saved for {alice.username} on {dioptra.url}. Enter it to sign in."
    assert (seen["url"], seen["username"], seen["password"]) == (url, alice.username, "")
    assert [c.session.username for c in no_window] == [alice.username]
    assert memory_keyring.passwords == {("artifact-browser", f"{alice.username}@{dioptra.url}"): alice.password}


def test_a_keyring_without_backend_is_said_and_the_user_is_asked(
    qtbot, no_keyring_backend, profiles_file, dialog_watch, error_boxes, no_window, log_file
) -> None:
    watch = dialog_watch()
    assert app.main(["--server", closed_port_url(), "--username", "alice"]) == app.EXIT_SIGN_IN_FAILED
    (seen,) = watch.seen
    assert seen["notice"] == "No usable OS keyring was found on this system. Passwords are kept in memory for this run only."
    assert seen["message"].startswith("No password is saved for alice")
    assert error_boxes.shown == []
    assert "No usable OS keyring" in log_file.read_text(encoding="utf-8")


def test_an_unusable_ca_bundle_is_said_in_the_dialog(
    qtbot, tmp_path: Path, memory_keyring, profiles_file, dialog_watch, error_boxes, no_window, log_file
) -> None:
    missing = tmp_path / "missing-ca.pem"
    watch = dialog_watch()
    argv = ["--server", "https://127.0.0.1:1", "--username", "alice", "--ca-bundle", str(missing)]
    assert app.main(argv) == app.EXIT_SIGN_IN_FAILED
    (seen,) = watch.seen
    assert seen["message"] == f"The CA bundle {missing} does not exist or is not a file."


def test_a_bad_server_url_is_said_in_the_dialog(
    qtbot, memory_keyring, profiles_file, dialog_watch, error_boxes, no_window, log_file
) -> None:
    watch = dialog_watch()
    assert app.main(["--server", "ftp://dioptra.example.org", "--username", "alice"]) == app.EXIT_SIGN_IN_FAILED
    (seen,) = watch.seen
    assert seen["message"] == "The server address must start with http:// or https://, not ftp://."
    assert seen["url"] == "ftp://dioptra.example.org"


def test_without_options_the_dialog_offers_the_last_profile(
    qtbot, dioptra, memory_keyring: MemoryKeyring, profiles_file, dialog_watch, error_boxes, no_window, log_file
) -> None:
    alice = dioptra.manifest.demo
    store = ProfileStore(profiles_file)
    store.put(ServerProfile("Elsewhere", "http://127.0.0.1:1", "bob"))
    store.put(ServerProfile("Local", dioptra.url, alice.username))
    store.set_last_used("Local")
    memory_keyring.passwords[("artifact-browser", f"{alice.username}@{dioptra.url}")] = alice.password

    watch = dialog_watch(lambda dialog: dialog.sign_in())  # the password is already there: just "Sign in"
    assert app.main([]) == 0
    (seen,) = watch.seen
    assert (seen["profile"], seen["url"], seen["password"]) == ("Local", dioptra.url, alice.password)
    assert [c.session.username for c in no_window] == [alice.username]


def test_cancelling_the_dialog_ends_the_program(qtbot, memory_keyring, profiles_file, dialog_watch, no_window, log_file) -> None:
    watch = dialog_watch()
    assert app.main([]) == app.EXIT_SIGN_IN_FAILED
    assert len(watch.seen) == 1 and no_window == []


def test_demo_signs_in_to_the_local_server_without_dialog_keyring_or_profile(
    qtbot, dioptra, memory_keyring: MemoryKeyring, profiles_file, dialog_watch, error_boxes, no_window, log_file, monkeypatch
) -> None:
    import artifact_browser.devserver as devserver

    monkeypatch.setattr(devserver, "ensure_demo_server", lambda: (dioptra.manifest, False))
    watch = dialog_watch()
    assert app.main(["--demo"]) == 0
    assert [c.session.username for c in no_window] == [dioptra.manifest.demo.username]
    assert watch.seen == [] and error_boxes.shown == []
    assert memory_keyring.calls == [] and not profiles_file.exists()


def test_run_in_background_returns_the_result_or_raises(qtbot) -> None:
    import threading

    gui_thread = threading.get_ident()
    assert app.run_in_background(lambda token: threading.get_ident()) != gui_thread
    with pytest.raises(ValueError, match="nope"):
        app.run_in_background(lambda token: (_ for _ in ()).throw(ValueError("nope")))


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
