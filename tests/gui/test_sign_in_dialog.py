"""The sign-in dialog against the real local Dioptra server, with an in-memory OS keyring."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QLineEdit, QMessageBox

from artifact_browser.core.credentials import CredentialStore
from artifact_browser.core.profiles import ProfileStore, ServerProfile
from artifact_browser.qt.sign_in_dialog import SignInDialog
from https_stub import https_stub
from memory_keyring import MemoryKeyring, memory_keyring, no_keyring_backend  # noqa: F401 - fixtures

SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "screenshots"
TIMEOUT_MS = 15_000


# -- helpers ------------------------------------------------------------------------------


def save_screenshot(dialog: SignInDialog, name: str) -> None:
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    assert dialog.grab().save(str(SCREENSHOT_DIR / f"{name}.png"))


def closed_port_url() -> str:
    """A loopback URL where nothing listens: the port was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def type_into(qtbot, edit: QLineEdit, text: str) -> None:
    """Replace the text of ``edit`` the way a user does: select all, type."""
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)
    edit.editingFinished.emit()  # what leaving the field does


def fill_in(qtbot, dialog: SignInDialog, url: str, username: str, password: str) -> None:
    type_into(qtbot, dialog.url_edit, url)
    type_into(qtbot, dialog.username_edit, username)
    type_into(qtbot, dialog.password_edit, password)


def click_sign_in(qtbot, dialog: SignInDialog) -> None:
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)


def wait_for_message(qtbot, dialog: SignInDialog) -> str:
    qtbot.waitUntil(lambda: not dialog.is_busy and dialog.message_label.isVisible(), timeout=TIMEOUT_MS)
    return dialog.message_label.text()


def sign_in_and_wait(qtbot, dialog: SignInDialog) -> None:
    with qtbot.waitSignal(dialog.accepted, timeout=TIMEOUT_MS):
        click_sign_in(qtbot, dialog)


class ShowSpy(QObject):
    """Counts the times a widget was shown on screen."""

    def __init__(self, widget) -> None:
        super().__init__()
        self.shown = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Show:
            self.shown += 1
        return False


@pytest.fixture
def profiles_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "profiles.json"


@pytest.fixture
def make_dialog(qtbot, profiles_path: Path):
    """Build a sign-in dialog on a temporary profiles file; the caller shows it (or not)."""
    clients = []

    def make(credentials: CredentialStore | None = None, *, show: bool = True, **options) -> SignInDialog:
        dialog = SignInDialog(ProfileStore(profiles_path), credentials or CredentialStore(), **options)
        qtbot.addWidget(dialog)
        dialog.signed_in.connect(clients.append)
        if show:
            with qtbot.waitActive(dialog):
                dialog.show()
        return dialog

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def alice(dioptra):
    return dioptra.manifest.demo


def account(user: str, url: str) -> tuple[str, str]:
    return ("artifact-browser", f"{user}@{url}")


# -- the right password, and what is kept -----------------------------------------------------


def test_the_empty_dialog_asks_for_a_new_server(qtbot, memory_keyring: MemoryKeyring, make_dialog) -> None:
    dialog = make_dialog()
    assert dialog.profile_combo.count() == 0 and dialog.profile_combo.currentText() == ""
    assert dialog.verify_check.isChecked()  # TLS is verified unless the user says otherwise
    assert dialog.remember_check.isChecked()
    assert dialog.password_edit.echoMode() == QLineEdit.EchoMode.Password
    assert not dialog.remove_button.isEnabled()
    assert dialog.url_edit.hasFocus()
    qtbot.waitUntil(lambda: not dialog.is_reading_keyring, timeout=TIMEOUT_MS)
    assert not dialog.notice_label.isVisible()  # a working keyring needs no notice
    save_screenshot(dialog, "sign_in_dialog")


def test_the_right_password_signs_in_and_keeps_profile_and_password(
    qtbot, dioptra, alice, memory_keyring: MemoryKeyring, make_dialog, profiles_path: Path
) -> None:
    dialog = make_dialog()
    # "localhost" is how a user types it; the profile and the keyring keep the normalised URL.
    fill_in(qtbot, dialog, dioptra.url.replace("127.0.0.1", "localhost") + "/", alice.username, alice.password)
    sign_in_and_wait(qtbot, dialog)

    client = dialog.client
    assert client is not None and client.session.signed_in
    assert client.users.current().username == alice.username  # really signed in
    # The client keeps the credentials: a session the server forgot is renewed unnoticed.
    client.session._http.cookies.clear()
    assert client.users.current().username == alice.username
    assert dialog.profile == ServerProfile(
        name=f"{alice.username}@{dioptra.url.removeprefix('http://')}", url=dioptra.url, username=alice.username
    )
    assert memory_keyring.passwords == {account(alice.username, dioptra.url): alice.password}
    saved = ProfileStore(profiles_path)
    assert saved.profiles == [dialog.profile] and saved.last_used == dialog.profile
    assert alice.password not in profiles_path.read_text(encoding="utf-8")


def test_a_saved_profile_is_offered_again_with_its_password_from_the_keyring(
    qtbot, dioptra, alice, memory_keyring: MemoryKeyring, make_dialog
) -> None:
    first = make_dialog()
    type_into(qtbot, first.name_edit, "Local lab")
    fill_in(qtbot, first, dioptra.url, alice.username, alice.password)
    sign_in_and_wait(qtbot, first)

    # The next run: new stores, same file and keyring.
    again = make_dialog(CredentialStore())
    assert again.profile_combo.currentText() == "Local lab"
    assert (again.url_edit.text(), again.username_edit.text()) == (dioptra.url, alice.username)
    qtbot.waitUntil(lambda: again.password_edit.text() == alice.password, timeout=TIMEOUT_MS)
    assert again.password_edit.hasFocus()  # a returning user lands where a wrong password would be fixed
    save_screenshot(again, "sign_in_saved_profile")
    with qtbot.waitSignal(again.accepted, timeout=TIMEOUT_MS):
        qtbot.keyClick(again.password_edit, Qt.Key.Key_Return)  # Enter signs in
    assert again.client is not None and again.client.session.username == alice.username


def test_a_password_seeded_with_keyring_set_is_used(qtbot, dioptra, alice, memory_keyring, make_dialog, profiles_path) -> None:
    store = ProfileStore(profiles_path)
    store.put(ServerProfile("Lab", dioptra.url, alice.username))
    # What `keyring set artifact-browser alice@http://127.0.0.1:<port>` does.
    keyring.set_password("artifact-browser", f"{alice.username}@{dioptra.url}", alice.password)
    memory_keyring.calls.clear()
    dialog = make_dialog()
    assert dialog.profile_combo.currentText() == "Lab"
    qtbot.waitUntil(lambda: dialog.password_edit.text() == alice.password, timeout=TIMEOUT_MS)
    sign_in_and_wait(qtbot, dialog)
    assert ("get", *account(alice.username, dioptra.url)) in memory_keyring.calls
    assert not any(call[0] == "set" for call in memory_keyring.calls)  # nothing to write back


def test_remember_unchecked_stores_nothing_and_forgets_the_old_password(
    qtbot, dioptra, alice, memory_keyring: MemoryKeyring, make_dialog
) -> None:
    memory_keyring.passwords[account(alice.username, dioptra.url)] = "an-old-password"
    dialog = make_dialog()
    fill_in(qtbot, dialog, dioptra.url, alice.username, alice.password)
    dialog.remember_check.setChecked(False)
    sign_in_and_wait(qtbot, dialog)
    assert memory_keyring.passwords == {}
    assert not any(call[0] == "set" for call in memory_keyring.calls)
    assert dialog.client is not None and dialog.client.session.signed_in


def test_a_late_keyring_answer_never_overwrites_a_typed_password(
    qtbot, dioptra, alice, memory_keyring: MemoryKeyring, make_dialog, profiles_path
) -> None:
    ProfileStore(profiles_path).put(ServerProfile("Lab", dioptra.url, alice.username))
    memory_keyring.passwords[account(alice.username, dioptra.url)] = "stored"
    dialog = make_dialog()
    dialog.password_edit.setText("typed")  # before the keyring answers
    qtbot.waitUntil(lambda: not dialog.is_reading_keyring, timeout=TIMEOUT_MS)
    assert dialog.password_edit.text() == "typed"


# -- failures: each said inline, the dialog keeps what was typed ---------------------------------


def test_a_wrong_password_is_said_inline_and_the_typed_text_stays(
    qtbot, dioptra, alice, memory_keyring: MemoryKeyring, make_dialog, profiles_path
) -> None:
    dialog = make_dialog()
    type_into(qtbot, dialog.name_edit, "Lab")
    fill_in(qtbot, dialog, dioptra.url, alice.username, "not-alices-password")
    click_sign_in(qtbot, dialog)
    message = wait_for_message(qtbot, dialog)

    assert message == f"Wrong user name or password for {dioptra.url}: Unauthorized - Invalid username or password."
    assert dialog.isVisible() and dialog.result() == 0 and dialog.client is None
    assert (dialog.name_edit.text(), dialog.url_edit.text(), dialog.username_edit.text(), dialog.password_edit.text()) == (
        "Lab",
        dioptra.url,
        alice.username,
        "not-alices-password",
    )
    # Ready for the right one: typing replaces the wrong password.
    assert dialog.password_edit.hasFocus() and dialog.password_edit.selectedText() == "not-alices-password"
    assert memory_keyring.passwords == {} and not profiles_path.exists()  # a refused sign-in keeps nothing
    save_screenshot(dialog, "sign_in_wrong_password")

    qtbot.keyClicks(dialog.password_edit, alice.password)
    sign_in_and_wait(qtbot, dialog)
    assert ProfileStore(profiles_path).names() == ["Lab"]


def test_an_unreachable_server_is_said_inline(qtbot, memory_keyring, make_dialog) -> None:
    dialog = make_dialog()
    url = closed_port_url()
    fill_in(qtbot, dialog, url, "alice", "pw")
    click_sign_in(qtbot, dialog)
    message = wait_for_message(qtbot, dialog)
    assert message.startswith(f"The server cannot be reached. Cannot connect to {url}:")
    assert dialog.url_edit.hasFocus()
    assert (dialog.url_edit.text(), dialog.username_edit.text(), dialog.password_edit.text()) == (url, "alice", "pw")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ftp://dioptra.example.org", "The server address must start with http:// or https://, not ftp://."),
        ("", "The server address is empty."),
        ("http://:5000", "The server address 'http://:5000' has no host name."),
        ("http://example.org:99999", "The server address 'http://example.org:99999' has an invalid port."),
    ],
)
def test_a_bad_url_is_said_before_anything_is_sent(qtbot, memory_keyring, make_dialog, typed: str, expected: str) -> None:
    dialog = make_dialog()
    fill_in(qtbot, dialog, typed, "alice", "pw")
    click_sign_in(qtbot, dialog)
    assert not dialog.is_busy  # nothing was started
    assert dialog.message_label.isVisible() and dialog.message_label.text() == expected
    assert dialog.url_edit.hasFocus() and dialog.url_edit.text() == typed


def test_missing_user_name_password_or_ca_bundle_are_said_at_the_field(qtbot, memory_keyring, make_dialog, tmp_path) -> None:
    dialog = make_dialog()
    fill_in(qtbot, dialog, "http://127.0.0.1:1", "", "")
    click_sign_in(qtbot, dialog)
    assert dialog.message_label.text() == "Enter your Dioptra user name." and dialog.username_edit.hasFocus()
    type_into(qtbot, dialog.username_edit, "alice")
    click_sign_in(qtbot, dialog)
    assert dialog.message_label.text() == "Enter the password of alice on http://127.0.0.1:1." and dialog.password_edit.hasFocus()
    type_into(qtbot, dialog.password_edit, "pw")
    missing = tmp_path / "no-such-ca.pem"
    type_into(qtbot, dialog.ca_bundle_edit, str(missing))
    click_sign_in(qtbot, dialog)
    assert dialog.message_label.text() == f"The CA bundle {missing} does not exist or is not a file."
    assert dialog.ca_bundle_edit.hasFocus() and not dialog.is_busy


def test_a_ca_bundle_that_is_not_pem_is_said_inline(qtbot, memory_keyring, make_dialog, tmp_path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("this is not a certificate", encoding="utf-8")
    dialog = make_dialog()
    fill_in(qtbot, dialog, "https://127.0.0.1:1", "alice", "pw")
    type_into(qtbot, dialog.ca_bundle_edit, str(bogus))
    click_sign_in(qtbot, dialog)
    message = wait_for_message(qtbot, dialog)
    assert message.startswith(f"The CA bundle {bogus} cannot be used:")
    assert dialog.ca_bundle_edit.hasFocus()


# -- TLS --------------------------------------------------------------------------------------


@pytest.fixture
def tls_dioptra() -> Iterator[tuple[str, object]]:
    with https_stub() as served:
        yield served


def test_an_untrusted_certificate_is_said_and_a_ca_bundle_fixes_it(
    qtbot, memory_keyring, make_dialog, tls_dioptra, tmp_path: Path
) -> None:
    url, ca = tls_dioptra
    dialog = make_dialog()
    fill_in(qtbot, dialog, url, "alice", "pw")
    click_sign_in(qtbot, dialog)
    message = wait_for_message(qtbot, dialog)
    assert message.startswith(f"The TLS certificate of {url} could not be verified")
    assert "give its CA bundle" in message
    assert dialog.ca_bundle_edit.hasFocus()  # where the fix goes

    bundle = tmp_path / "lab-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    type_into(qtbot, dialog.ca_bundle_edit, str(bundle))
    sign_in_and_wait(qtbot, dialog)
    assert dialog.profile is not None and dialog.profile.ca_bundle == str(bundle) and dialog.profile.verify_tls


# -- no usable keyring -------------------------------------------------------------------------


def test_without_a_keyring_the_dialog_says_so_and_keeps_the_password_for_this_run(
    qtbot, dioptra, alice, no_keyring_backend, make_dialog, tmp_path: Path
) -> None:
    credentials = CredentialStore()
    dialog = make_dialog(credentials)
    qtbot.waitUntil(dialog.notice_label.isVisible, timeout=TIMEOUT_MS)  # said before any password is typed
    assert dialog.notice_label.text() == (
        "No usable OS keyring was found on this system. Passwords are kept in memory for this run only."
    )
    assert "this run only" in dialog.remember_check.text()
    save_screenshot(dialog, "sign_in_no_keyring")

    fill_in(qtbot, dialog, dioptra.url, alice.username, alice.password)
    sign_in_and_wait(qtbot, dialog)
    assert credentials.get(alice.username, dioptra.url) == alice.password  # for this run
    assert CredentialStore().get(alice.username, dioptra.url) is None  # not for the next
    # Nothing but the profiles file was written.
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert [p.name for p in files] == ["profiles.json"]
    assert alice.password not in files[0].read_text(encoding="utf-8")


# -- never frozen, and cancellable --------------------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers, until the test ends."""
    listener = socket.create_server(("127.0.0.1", 0))
    release = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        listener.settimeout(0.05)
        while not release.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    release.set()
    thread.join()
    for conn in held:
        conn.close()  # the abandoned attempt's request ends now
    listener.close()


def test_a_slow_server_leaves_the_dialog_responsive_and_cancel_stops_the_attempt(
    qtbot, memory_keyring, make_dialog, silent_server: str
) -> None:
    dialog = make_dialog()
    fill_in(qtbot, dialog, silent_server, "alice", "pw")
    click_sign_in(qtbot, dialog)
    assert dialog.is_busy and dialog.busy_bar.isVisible()
    assert dialog.status_label.text() == f"Signing in to {silent_server} as alice…"
    assert not dialog.url_edit.isEnabled() and not dialog.sign_in_button.isEnabled()
    assert dialog.cancel_button.isEnabled()

    ticks: list[float] = []
    ticker = QTimer(interval=5)
    ticker.timeout.connect(lambda: ticks.append(time.monotonic()))
    ticker.start()
    qtbot.waitUntil(lambda: len(ticks) >= 40, timeout=TIMEOUT_MS)
    ticker.stop()
    longest_gap = max(b - a for a, b in zip(ticks, ticks[1:]))
    assert longest_gap < 0.1, f"the GUI thread stalled for {longest_gap * 1000:.0f} ms"
    assert dialog.is_busy  # still waiting for the server all that time
    save_screenshot(dialog, "sign_in_busy")

    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.is_busy and dialog.isVisible() and dialog.result() == 0  # the attempt stopped, not the dialog
    assert dialog.message_label.text() == "Signing in was cancelled."
    assert dialog.url_edit.isEnabled() and dialog.url_edit.text() == silent_server
    assert not dialog.busy_bar.isVisible()

    with qtbot.waitSignal(dialog.rejected, timeout=TIMEOUT_MS):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # now Esc closes the dialog
    assert dialog.client is None


# -- signing in without showing the dialog (``--server`` and ``--username``) ----------------------


def test_a_quiet_sign_in_with_a_stored_password_never_shows_the_dialog(
    qtbot, dioptra, alice, memory_keyring: MemoryKeyring, make_dialog, profiles_path
) -> None:
    memory_keyring.passwords[account(alice.username, dioptra.url)] = alice.password
    # A busy machine may make this sign-in "slow"; the slow case has its own test below.
    dialog = make_dialog(show=False, show_when_slow_ms=TIMEOUT_MS)
    spy = ShowSpy(dialog)
    dialog.fill(dioptra.url.replace("127.0.0.1", "localhost"), alice.username)
    with qtbot.waitSignal(dialog.accepted, timeout=TIMEOUT_MS):
        dialog.sign_in_quietly()
    assert spy.shown == 0
    assert dialog.client is not None and dialog.client.session.username == alice.username
    assert ProfileStore(profiles_path).last_used == dialog.profile


def test_a_quiet_sign_in_without_a_stored_password_asks_for_it(
    qtbot, dioptra, alice, memory_keyring: MemoryKeyring, make_dialog
) -> None:
    dialog = make_dialog(show=False)
    dialog.fill(dioptra.url, alice.username)
    dialog.sign_in_quietly()
    message = wait_for_message(qtbot, dialog)
    assert dialog.isVisible()
    assert message == f"No password is saved for {alice.username} on {dioptra.url}. Enter it to sign in."
    assert (dialog.url_edit.text(), dialog.username_edit.text()) == (dioptra.url, alice.username)
    assert dialog.password_edit.hasFocus()
    qtbot.keyClicks(dialog.password_edit, alice.password)
    with qtbot.waitSignal(dialog.accepted, timeout=TIMEOUT_MS):
        qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
    assert memory_keyring.passwords == {account(alice.username, dioptra.url): alice.password}


def test_a_quiet_sign_in_with_a_wrong_stored_password_says_the_keyring_one_was_refused(
    qtbot, dioptra, alice, memory_keyring: MemoryKeyring, make_dialog
) -> None:
    memory_keyring.passwords[account(alice.username, dioptra.url)] = "outdated"
    dialog = make_dialog(show=False)
    dialog.fill(dioptra.url, alice.username)
    dialog.sign_in_quietly()
    message = wait_for_message(qtbot, dialog)
    assert dialog.isVisible()
    assert message.startswith(f"The password saved in the OS keyring for {alice.username} was refused by {dioptra.url}")
    assert dialog.password_edit.text() == "" and dialog.password_edit.hasFocus()
    qtbot.keyClicks(dialog.password_edit, alice.password)
    sign_in_and_wait(qtbot, dialog)
    assert memory_keyring.passwords == {account(alice.username, dioptra.url): alice.password}  # the new one replaces it


def test_a_quiet_sign_in_to_a_slow_server_shows_the_busy_dialog(qtbot, memory_keyring, make_dialog, silent_server) -> None:
    memory_keyring.passwords[account("alice", silent_server)] = "pw"
    dialog = make_dialog(show=False, show_when_slow_ms=50)
    dialog.fill(silent_server, "alice")
    dialog.sign_in_quietly()
    assert not dialog.isVisible()
    qtbot.waitUntil(dialog.isVisible, timeout=TIMEOUT_MS)
    assert dialog.is_busy and dialog.busy_bar.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc during the attempt cancels the attempt
    assert not dialog.is_busy and dialog.isVisible()


# -- managing profiles --------------------------------------------------------------------------


def test_profiles_can_be_added_edited_and_removed(
    qtbot, memory_keyring: MemoryKeyring, make_dialog, profiles_path: Path
) -> None:
    dialog = make_dialog()
    type_into(qtbot, dialog.name_edit, "Lab")
    type_into(qtbot, dialog.url_edit, "lab.example.org:5000")
    type_into(qtbot, dialog.username_edit, "alice")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.message_label.text() == "Saved the profile 'Lab'."

    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    assert dialog.url_edit.text() == "" and dialog.profile_combo.currentIndex() == -1
    type_into(qtbot, dialog.name_edit, "Production")
    type_into(qtbot, dialog.url_edit, "https://dioptra.example.org")
    type_into(qtbot, dialog.username_edit, "bob")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert [dialog.profile_combo.itemText(i) for i in range(dialog.profile_combo.count())] == ["Lab", "Production"]

    # Edit: choose Lab, rename it and turn off TLS checks.
    dialog.profile_combo.setCurrentIndex(0)
    assert dialog.url_edit.text() == "https://lab.example.org:5000"  # no scheme typed: HTTPS for another host
    type_into(qtbot, dialog.name_edit, "Old lab")
    dialog.verify_check.setChecked(False)
    assert not dialog.ca_bundle_edit.isEnabled()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert ProfileStore(profiles_path).profiles == [
        ServerProfile("Old lab", "https://lab.example.org:5000", "alice", verify_tls=False),
        ServerProfile("Production", "https://dioptra.example.org", "bob"),
    ]

    # A name another profile has is refused.
    type_into(qtbot, dialog.name_edit, "Production")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "'Production' already exists" in dialog.message_label.text() and dialog.name_edit.hasFocus()

    # Remove Production, and its saved password with it (after a confirmation).
    memory_keyring.passwords[account("bob", "https://dioptra.example.org")] = "bobs"
    dialog.profile_combo.setCurrentIndex(1)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    box = dialog.findChild(QMessageBox, "confirmRemove")
    assert box is not None and box.isVisible() and "'Production'" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    assert ProfileStore(profiles_path).names() == ["Old lab"]
    assert dialog.profile_combo.currentText() == "Old lab"
    qtbot.waitUntil(lambda: memory_keyring.passwords == {}, timeout=TIMEOUT_MS)


def test_cancelling_the_remove_confirmation_keeps_the_profile(qtbot, memory_keyring, make_dialog, profiles_path) -> None:
    ProfileStore(profiles_path).put(ServerProfile("Lab", "http://127.0.0.1:1", "alice"))
    dialog = make_dialog()
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    box = dialog.findChild(QMessageBox, "confirmRemove")
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert ProfileStore(profiles_path).names() == ["Lab"]


def test_a_damaged_profiles_file_is_a_notice_not_a_crash(qtbot, memory_keyring, make_dialog, profiles_path) -> None:
    profiles_path.parent.mkdir(parents=True)
    profiles_path.write_text("{ this is not json", encoding="utf-8")
    dialog = make_dialog()
    assert dialog.notice_label.isVisible()
    assert "set aside as profiles.json.bak" in dialog.notice_label.text()
    assert dialog.profile_combo.count() == 0


def test_switching_profiles_fills_each_ones_password(qtbot, memory_keyring: MemoryKeyring, make_dialog, profiles_path) -> None:
    store = ProfileStore(profiles_path)
    store.put(ServerProfile("A", "http://127.0.0.1:1", "alice"))
    store.put(ServerProfile("B", "http://127.0.0.1:2", "bob"))
    memory_keyring.passwords[account("bob", "http://127.0.0.1:2")] = "bobs-password"
    dialog = make_dialog()
    assert dialog.profile_combo.currentText() == "A"
    dialog.profile_combo.setCurrentIndex(1)
    qtbot.waitUntil(lambda: dialog.password_edit.text() == "bobs-password", timeout=TIMEOUT_MS)
    dialog.profile_combo.setCurrentIndex(0)
    assert dialog.password_edit.text() == ""  # never bob's password for alice
    # Editing the account a keyring password was filled for clears it too.
    dialog.profile_combo.setCurrentIndex(1)
    qtbot.waitUntil(lambda: dialog.password_edit.text() == "bobs-password", timeout=TIMEOUT_MS)
    type_into(qtbot, dialog.username_edit, "carol")
    assert dialog.password_edit.text() == ""


def test_esc_closes_an_idle_dialog(qtbot, memory_keyring, make_dialog) -> None:
    dialog = make_dialog()
    with qtbot.waitSignal(dialog.rejected, timeout=TIMEOUT_MS):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.client is None and not dialog.isVisible()


def test_an_unexpected_failure_is_said_inline_and_opens_the_error_dialog(
    qtbot, memory_keyring, make_dialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from artifact_browser.qt import sign_in_dialog

    reported: list[tuple[str, object]] = []
    monkeypatch.setattr(sign_in_dialog, "show_unexpected_error", lambda message, error, parent: reported.append((message, error)))

    def broken_connect(*args, **kwargs):
        raise RuntimeError("a bug in the client")

    monkeypatch.setattr(sign_in_dialog, "connect", broken_connect)
    dialog = make_dialog()
    fill_in(qtbot, dialog, "http://127.0.0.1:1", "alice", "pw")
    click_sign_in(qtbot, dialog)
    message = wait_for_message(qtbot, dialog)
    assert message == "Unexpected error while signing in: RuntimeError: a bug in the client"
    ((what, error),) = reported
    assert what == "Signing in failed unexpectedly." and isinstance(error, RuntimeError)
    assert dialog.isVisible() and dialog.password_edit.text() == "pw"
