"""The sign-in dialog: saved server profiles, the password from the OS keyring, sign-in off the GUI thread.

Every slow step (finding the keyring backend, reading or writing a password,
connecting, signing in) runs through a :class:`TaskRunner`; the dialog keeps
repainting, shows a busy bar, and Cancel abandons the attempt. Each failure a
user can fix gets its own message inside the dialog, which stays open with
everything the user typed.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from artifact_browser.api import (
    ApiError,
    AuthenticationError,
    CancelToken,
    DioptraClient,
    NotFoundError,
    ServerError,
    ServerUnreachableError,
    TLSVerificationError,
    connect,
)
from artifact_browser.api.session import normalize_address
from artifact_browser.core.credentials import CredentialStore, account_name
from artifact_browser.core.profiles import ProfileStore, ServerProfile, suggested_name
from artifact_browser.qt.error_dialog import show_unexpected_error
from artifact_browser.qt.main_window import APP_TITLE
from artifact_browser.qt.workers import TaskRunner

log = logging.getLogger(__name__)

# A quiet sign-in (``--server``/``--username``) that takes longer than this shows the
# dialog with its busy bar and Cancel, so a slow server never looks like a dead program.
SHOW_WHEN_SLOW_MS = 400

_ERROR_STYLE = "color: palette(text); background: #fde7e9; border: 1px solid #e8a0a8; border-radius: 3px; padding: 6px;"
_INFO_STYLE = "color: palette(text); background: #e8f0fe; border: 1px solid #a8c0f0; border-radius: 3px; padding: 6px;"
_NOTICE_STYLE = "color: palette(text); background: #fff4ce; border: 1px solid #e0c870; border-radius: 3px; padding: 6px;"


class _NoStoredPassword(Exception):
    """A quiet sign-in found no password in the keyring: the user must type one."""


@dataclass(frozen=True)
class _SignedIn:
    client: DioptraClient
    profile: ServerProfile


@dataclass(frozen=True)
class _StoredPassword:
    """The answer of a keyring read for the fields as they were when it was asked."""

    url: str
    username: str
    password: str | None


class _Attempt:
    """One press of "Sign in": runs on a pool thread, can be abandoned from the GUI thread.

    The client it creates is closed unless the GUI takes it, whichever thread
    finishes last: an abandoned attempt never leaks a connection.
    """

    def __init__(
        self, credentials: CredentialStore, profile: ServerProfile, password: str | None, remember: bool, from_keyring: bool
    ) -> None:
        self.credentials = credentials
        self.profile = profile
        self.password = password
        self.remember = remember
        # True when the password came from the keyring, so a refusal can say so.
        self.from_keyring = from_keyring or password is None
        self._lock = threading.Lock()
        self._client: DioptraClient | None = None
        self._abandoned = False

    def run(self, token: CancelToken) -> _SignedIn | None:  # on a pool thread
        profile = self.profile
        password = self.password
        stored = None
        if password is None or self.from_keyring:
            stored = self.credentials.get(profile.username, profile.url)
            if password is None:
                if stored is None:
                    raise _NoStoredPassword
                password = stored
        client = connect(profile.url, verify=profile.verify)  # ValueError, OSError (a bad CA bundle)
        with self._lock:
            if self._abandoned or token.cancelled:
                client.close()
                return None
            self._client = client
        try:
            client.auth.login(profile.username, password)  # the session keeps it for a silent re-login
        except BaseException:
            client.close()
            raise
        if self.remember:
            if stored != password:  # a password read from the keyring need not be written back
                self.credentials.set(profile.username, profile.url, password)
        else:
            self.credentials.delete(profile.username, profile.url)
        with self._lock:
            if self._abandoned:
                client.close()
                return None
        return _SignedIn(client, profile)

    def abandon(self) -> None:
        """Close the attempt's connection unless the GUI already took it (GUI thread)."""
        with self._lock:
            self._abandoned = True
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def take(self) -> None:
        """The GUI keeps the client: abandoning no longer closes it (GUI thread)."""
        with self._lock:
            self._client = None


class SignInDialog(QDialog):
    """Pick or edit a server profile, give the password, and sign in.

    On success the password is saved in the OS keyring (when "Remember
    password" is checked; otherwise any saved one is forgotten), the profile is
    saved as the last used one, :attr:`client` holds the signed-in client,
    :attr:`signed_in` is emitted and the dialog is accepted. The caller owns
    the client from then on.

    Args:
        profiles: The saved profiles; the last used one is selected first.
        credentials: Where passwords are kept.
        parent: The parent widget, if any.
        pool: The thread pool for keyring and network work (the global one by default).
        show_when_slow_ms: How long a quiet sign-in may take before the dialog shows itself busy.

    Signals:
        signed_in(object): The signed-in :class:`DioptraClient`, just before the dialog accepts.
    """

    signed_in = Signal(object)

    def __init__(
        self,
        profiles: ProfileStore,
        credentials: CredentialStore,
        parent: QWidget | None = None,
        *,
        pool: QThreadPool | None = None,
        show_when_slow_ms: int = SHOW_WHEN_SLOW_MS,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Sign in — {APP_TITLE}")
        self.setObjectName("signInDialog")
        self._profiles = profiles
        self._credentials = credentials
        self._client: DioptraClient | None = None
        self._signed_in_profile: ServerProfile | None = None
        self._editing: str | None = None  # the saved profile the fields show, None for a new one
        self._password_from_keyring = False
        self._keyring_account: str | None = None  # whose password the keyring put in the field
        self._attempt: _Attempt | None = None
        self._quiet = False

        self._build()

        self._sign_in_runner = TaskRunner(self, pool=pool)
        self._sign_in_runner.finished.connect(self._on_signed_in)
        self._sign_in_runner.failed.connect(self._on_sign_in_failed)
        self._keyring_reader = TaskRunner(self, pool=pool)
        self._keyring_reader.finished.connect(self._on_stored_password)
        self._keyring_reader.failed.connect(self._on_keyring_failed)
        self._keyring_writer = TaskRunner(self, pool=pool)  # forgetting removed profiles' passwords
        self._keyring_writer.finished.connect(lambda _: self._show_notices())
        self._keyring_writer.failed.connect(self._on_keyring_failed)
        self._show_after_delay = QTimer(self, singleShot=True, interval=show_when_slow_ms)
        self._show_after_delay.timeout.connect(self._show_if_still_busy)

        self._reload_profiles()
        last = profiles.last_used or (profiles.profiles[0] if profiles.profiles else None)
        if last is not None:
            self.select_profile(last.name)
        else:
            self.new_profile()
        self._show_notices()

    # -- public -------------------------------------------------------------------------

    @property
    def client(self) -> DioptraClient | None:
        """The signed-in client once the dialog has accepted; the caller closes it."""
        return self._client

    @property
    def profile(self) -> ServerProfile | None:
        """The profile of the successful sign-in."""
        return self._signed_in_profile

    @property
    def is_busy(self) -> bool:
        """True while a sign-in attempt is running."""
        return self._attempt is not None

    @property
    def is_reading_keyring(self) -> bool:
        """True while the password of the account in the fields is being looked up."""
        return self._keyring_reader.is_running

    def select_profile(self, name: str) -> None:
        """Show the saved profile called ``name`` and look up its password in the keyring."""
        profile = self._profiles.get(name)
        if profile is None:
            raise KeyError(name)
        self.profile_combo.blockSignals(True)
        self.profile_combo.setCurrentIndex(self.profile_combo.findText(name))
        self.profile_combo.blockSignals(False)
        self._editing = name
        self._put_in_fields(profile)
        self._clear_message()
        self._update_buttons()
        self._request_stored_password()

    def new_profile(self) -> None:
        """Empty the fields for a profile that is not saved yet."""
        self.profile_combo.blockSignals(True)
        self.profile_combo.setCurrentIndex(-1)
        self.profile_combo.blockSignals(False)
        self._editing = None
        for edit in (self.name_edit, self.url_edit, self.username_edit, self.password_edit, self.ca_bundle_edit):
            edit.clear()
        self._password_from_keyring = False
        self.verify_check.setChecked(True)
        self.remember_check.setChecked(True)
        self._clear_message()
        self._update_buttons()
        self._focus_first_empty_field()
        self._request_stored_password()  # nothing to look up yet, but it says early if there is no keyring

    def fill(self, url: str, username: str, *, ca_bundle: str | None = None) -> None:
        """Show ``username`` on ``url`` (from the command line): their saved profile if there is one.

        Nothing is checked here; a bad URL is reported when signing in.
        """
        match = self._profiles.find(url, username) if url and username else None
        if match is not None:
            self.select_profile(match.name)
        else:
            self.new_profile()
            self.url_edit.setText(url)
            self.username_edit.setText(username)
            self._request_stored_password()
        if ca_bundle:
            self.verify_check.setChecked(True)
            self.ca_bundle_edit.setText(ca_bundle)

    def sign_in(self) -> None:
        """Sign in with the fields as they are (the "Sign in" button)."""
        if self.is_busy:
            return
        password = self.password_edit.text()
        profile = self._checked_profile(need_password=True)
        if profile is None:
            return
        self._start(profile, password, from_keyring=self._password_from_keyring)

    def sign_in_quietly(self) -> None:
        """Sign in with the fields and the keyring's password without showing the dialog.

        The dialog shows itself (filled in, with the reason) only when the
        password is missing or refused, on any other failure, or when the
        server takes longer than ``show_when_slow_ms`` (busy, with Cancel).
        """
        self._keyring_reader.cancel()  # the attempt reads the keyring itself
        profile = self._checked_profile(need_password=False)
        if profile is None:
            self.show()
            return
        self._quiet = True
        typed = self.password_edit.text()
        self._start(profile, typed or None, from_keyring=not typed or self._password_from_keyring)
        self._show_after_delay.start()

    def cancel_sign_in(self) -> None:
        """Abandon the running attempt; the dialog stays open with what was typed."""
        if self._attempt is None:
            return
        self._sign_in_runner.cancel()
        self._attempt.abandon()
        self._attempt = None
        self._set_busy(False)
        self._show_message("Signing in was cancelled.", error=False)
        if self._quiet:
            self._quiet = False
            self.show()

    # -- QDialog ------------------------------------------------------------------------

    def reject(self) -> None:
        # Esc or Cancel during an attempt stops the attempt, not the dialog.
        if self.is_busy:
            self.cancel_sign_in()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.is_busy:
            self.cancel_sign_in()
        super().closeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self._quiet = False
        if not self.message_label.isVisible():
            self._focus_first_empty_field()

    # -- building -----------------------------------------------------------------------

    def _build(self) -> None:
        self.notice_label = _message_label(self, "keyringNotice", _NOTICE_STYLE)

        self.profile_combo = QComboBox(self)
        self.profile_combo.setObjectName("profileCombo")
        self.profile_combo.setPlaceholderText("New profile")
        self.profile_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.profile_combo.currentIndexChanged.connect(self._on_profile_chosen)
        self.new_button = QPushButton("&New", self)
        self.new_button.setToolTip("Start a new server profile")
        self.new_button.clicked.connect(self.new_profile)
        self.save_button = QPushButton("Sa&ve", self)
        self.save_button.setToolTip("Save the server, user name and TLS settings (the password is saved when you sign in)")
        self.save_button.clicked.connect(self.save_profile)
        self.remove_button = QPushButton("&Remove…", self)
        self.remove_button.setToolTip("Forget this profile and its saved password")
        self.remove_button.clicked.connect(self._ask_remove)
        for button in (self.new_button, self.save_button, self.remove_button):
            button.setAutoDefault(False)  # Enter signs in, whatever has the focus
        picker = QHBoxLayout()
        picker.addWidget(self.profile_combo, 1)
        picker.addWidget(self.new_button)
        picker.addWidget(self.save_button)
        picker.addWidget(self.remove_button)

        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("nameEdit")
        self.name_edit.setPlaceholderText("optional, e.g. Lab server")
        self.url_edit = QLineEdit(self)
        self.url_edit.setObjectName("urlEdit")
        self.url_edit.setPlaceholderText("https://dioptra.example.org")
        self.url_edit.editingFinished.connect(self._on_account_edited)
        self.username_edit = QLineEdit(self)
        self.username_edit.setObjectName("usernameEdit")
        self.username_edit.editingFinished.connect(self._on_account_edited)
        self.password_edit = QLineEdit(self)
        self.password_edit.setObjectName("passwordEdit")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.textEdited.connect(self._on_password_typed)
        self.remember_check = QCheckBox("Re&member password in the OS keyring", self)
        self.remember_check.setChecked(True)
        self.verify_check = QCheckBox("&Verify the server's TLS certificate", self)
        self.verify_check.setChecked(True)
        self.verify_check.setToolTip("Turn off only for a test server you trust: anyone between you and it could read your password")
        self.verify_check.toggled.connect(self._on_verify_toggled)
        self.ca_bundle_edit = QLineEdit(self)
        self.ca_bundle_edit.setObjectName("caBundleEdit")
        self.ca_bundle_edit.setPlaceholderText("optional: PEM file of a private certificate authority")
        self.ca_browse_button = QPushButton("&Browse…", self)
        self.ca_browse_button.setAutoDefault(False)
        self.ca_browse_button.clicked.connect(self._browse_ca_bundle)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_bundle_edit, 1)
        ca_row.addWidget(self.ca_browse_button)

        form = QFormLayout()
        profile_label = QLabel("Pro&file:", self)
        profile_label.setBuddy(self.profile_combo)  # rows holding a layout get no buddy by themselves
        form.addRow(profile_label, picker)
        form.addRow("Profile &name:", self.name_edit)
        form.addRow("&Server URL:", self.url_edit)
        form.addRow("&User name:", self.username_edit)
        form.addRow("&Password:", self.password_edit)
        form.addRow("", self.remember_check)
        form.addRow("", self.verify_check)
        ca_label = QLabel("&CA bundle:", self)
        ca_label.setBuddy(self.ca_bundle_edit)
        form.addRow(ca_label, ca_row)

        self.message_label = _message_label(self, "signInMessage", _ERROR_STYLE)
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setObjectName("signInBusy")
        self.busy_bar.setRange(0, 0)  # indeterminate: a sign-in has no measurable progress
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setMaximumHeight(6)
        self.busy_bar.hide()
        self.status_label = QLabel(self)
        self.status_label.setObjectName("signInStatus")
        self.status_label.hide()

        self.buttons = QDialogButtonBox(self)
        self.sign_in_button = self.buttons.addButton("Sign &in", QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_in_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        # "accepted" starts an attempt; only a successful sign-in accepts the dialog.
        self.buttons.accepted.connect(self.sign_in)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.notice_label)
        layout.addLayout(form)
        layout.addWidget(self.message_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.busy_bar)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

        self._form_widgets: list[QWidget] = [
            self.profile_combo, self.new_button, self.save_button, self.remove_button, self.name_edit,
            self.url_edit, self.username_edit, self.password_edit, self.remember_check, self.verify_check,
            self.ca_bundle_edit, self.ca_browse_button, self.sign_in_button,
        ]  # fmt: skip

    # -- profiles -----------------------------------------------------------------------

    def save_profile(self) -> None:
        """Save the fields as the selected profile, or as a new one (the "Save" button)."""
        profile = self._checked_profile(need_password=False)
        if profile is None:
            return
        try:
            self._profiles.put(profile, replacing=self._editing)
        except (OSError, ValueError) as exc:
            self._show_message(f"The profile could not be saved: {_os_reason(exc)}", focus=self.name_edit)
            return
        self._reload_profiles()
        self.select_profile_quietly(profile.name)
        self._show_message(f"Saved the profile {profile.name!r}.", error=False)

    def select_profile_quietly(self, name: str) -> None:
        """Mark ``name`` as the selected profile without touching the fields."""
        self.profile_combo.blockSignals(True)
        self.profile_combo.setCurrentIndex(self.profile_combo.findText(name))
        self.profile_combo.blockSignals(False)
        self._editing = name
        self._update_buttons()

    def remove_profile(self) -> None:
        """Forget the selected profile, and its saved password unless another profile uses it."""
        name = self._editing
        if name is None:
            return
        try:
            removed = self._profiles.remove(name)
        except OSError as exc:
            self._show_message(f"The profile could not be removed: {_os_reason(exc)}")
            return
        self._reload_profiles()
        if removed is not None and self._profiles.find(removed.url, removed.username) is None:
            credentials = self._credentials
            self._keyring_writer.start(lambda token: credentials.delete(removed.username, removed.url))
        remaining = self._profiles.last_used or (self._profiles.profiles[0] if self._profiles.profiles else None)
        if remaining is not None:
            self.select_profile(remaining.name)
        else:
            self.new_profile()
        self._show_message(f"Removed the profile {name!r}.", error=False)

    def _ask_remove(self) -> None:
        if self._editing is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove profile",
            f"Remove the profile {self._editing!r} and its saved password?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("confirmRemove")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        # open(), not exec(): no nested event loop, and tests can answer the box.
        box.accepted.connect(self.remove_profile)
        box.open()

    def _reload_profiles(self) -> None:
        self.profile_combo.blockSignals(True)
        self.profile_combo.clear()
        self.profile_combo.addItems(self._profiles.names())
        self.profile_combo.setCurrentIndex(self.profile_combo.findText(self._editing) if self._editing else -1)
        self.profile_combo.blockSignals(False)

    def _focus_first_empty_field(self) -> None:
        # A returning user lands in the password field, a new one in the URL field.
        for edit in (self.url_edit, self.username_edit, self.password_edit):
            if not edit.text():
                edit.setFocus()
                return
        self.password_edit.setFocus()
        self.password_edit.selectAll()

    def _on_profile_chosen(self, index: int) -> None:
        if index >= 0:
            self.select_profile(self.profile_combo.itemText(index))

    def _put_in_fields(self, profile: ServerProfile) -> None:
        self.name_edit.setText(profile.name)
        self.url_edit.setText(profile.url)
        self.username_edit.setText(profile.username)
        self.password_edit.clear()
        self._password_from_keyring = False
        self.verify_check.setChecked(profile.verify_tls)
        self.ca_bundle_edit.setText(profile.ca_bundle or "")
        self._on_verify_toggled(profile.verify_tls)

    def _checked_profile(self, *, need_password: bool) -> ServerProfile | None:
        """The profile the fields describe, or None after saying what is wrong (and focusing it)."""
        try:
            url = normalize_address(self.url_edit.text())
        except ValueError as exc:
            self._show_message(str(exc), focus=self.url_edit)
            return None
        username = self.username_edit.text().strip()
        if not username:
            self._show_message("Enter your Dioptra user name.", focus=self.username_edit)
            return None
        if need_password and not self.password_edit.text():
            self._show_message(f"Enter the password of {username} on {url}.", focus=self.password_edit)
            return None
        name = self.name_edit.text().strip()
        if not name:
            # A user who only wants to sign in need not invent a name.
            base = suggested_name(url, username)
            name = base if base == self._editing else self._profiles.unique_name(base)
        elif name != self._editing and self._profiles.get(name) is not None:
            self._show_message(
                f"A profile called {name!r} already exists: choose another name, or pick it from the list.",
                focus=self.name_edit,
            )
            return None
        ca_bundle = self.ca_bundle_edit.text().strip() or None
        verify_tls = self.verify_check.isChecked()
        if verify_tls and ca_bundle and not Path(os.path.expanduser(ca_bundle)).is_file():
            self._show_message(f"The CA bundle {ca_bundle} does not exist or is not a file.", focus=self.ca_bundle_edit)
            return None
        return ServerProfile(name=name, url=url, username=username, verify_tls=verify_tls, ca_bundle=ca_bundle)

    def _browse_ca_bundle(self) -> None:
        start = os.path.dirname(os.path.expanduser(self.ca_bundle_edit.text().strip())) or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a CA bundle", start, "Certificates (*.pem *.crt *.cer);;All files (*)"
        )
        if path:
            self.ca_bundle_edit.setText(path)

    def _on_verify_toggled(self, checked: bool) -> None:
        enabled = checked and not self.is_busy
        self.ca_bundle_edit.setEnabled(enabled)
        self.ca_browse_button.setEnabled(enabled)

    def _update_buttons(self) -> None:
        busy = self.is_busy
        self.remove_button.setEnabled(not busy and self._editing is not None)
        self.profile_combo.setEnabled(not busy and self.profile_combo.count() > 0)

    # -- the keyring --------------------------------------------------------------------

    def _request_stored_password(self) -> None:
        """Look up the password of the account in the fields, off the GUI thread."""
        url_text, username = self.url_edit.text(), self.username_edit.text().strip()
        try:
            url = normalize_address(url_text)
        except ValueError:
            url = ""
        credentials = self._credentials
        if not url or not username:
            # Nothing to look up yet, but a missing keyring should be said before the user types a password.
            self._keyring_reader.start(lambda token: _probe(credentials))
            return
        self._keyring_reader.start(lambda token: _StoredPassword(url, username, credentials.get(username, url)))

    def _on_stored_password(self, answer: _StoredPassword | None) -> None:
        self._show_notices()
        if answer is None or self.is_busy or answer.password is None or self.password_edit.text():
            return  # what the user typed always wins
        try:
            still_same = account_name(self.username_edit.text(), self.url_edit.text()) == account_name(
                answer.username, answer.url
            )
        except ValueError:
            still_same = False
        if still_same:
            self.password_edit.setText(answer.password)
            self._password_from_keyring = True
            self._keyring_account = account_name(answer.username, answer.url)
            self.remember_check.setChecked(True)

    def _on_keyring_failed(self, exc: object) -> None:
        # CredentialStore turns backend failures into a notice; this is something else.
        log.error("Unexpected failure while using the keyring", exc_info=exc if isinstance(exc, BaseException) else None)
        self._show_notices()

    def _on_account_edited(self) -> None:
        try:
            account = account_name(self.username_edit.text(), self.url_edit.text())
        except ValueError:
            account = None
        # A password read for another account must not be sent to this one.
        if self._password_from_keyring and account != self._keyring_account:
            self.password_edit.clear()
            self._password_from_keyring = False
        if not self.password_edit.text():
            self._request_stored_password()

    def _on_password_typed(self, _text: str) -> None:
        self._password_from_keyring = False

    def _show_notices(self) -> None:
        notices = list(self._profiles.warnings)
        problem = self._credentials.problem
        if problem:
            notices.append(problem)
        self.notice_label.setText("\n".join(notices))
        self.notice_label.setVisible(bool(notices))
        if problem:
            self.remember_check.setText("Re&member password for this run only (no usable OS keyring)")

    # -- signing in ---------------------------------------------------------------------

    def _start(self, profile: ServerProfile, password: str | None, *, from_keyring: bool) -> None:
        self._attempt = _Attempt(self._credentials, profile, password, self.remember_check.isChecked(), from_keyring)
        self._clear_message()
        self._set_busy(True, f"Signing in to {profile.url} as {profile.username}…")
        log.info("Signing in to %s as %s", profile.url, profile.username)
        self._sign_in_runner.start(self._attempt.run)

    def _on_signed_in(self, result: _SignedIn | None) -> None:
        attempt, self._attempt = self._attempt, None
        if result is None or attempt is None:  # abandoned just as it finished
            self._set_busy(False)
            return
        attempt.take()
        self._client = result.client
        self._signed_in_profile = result.profile
        log.info("Signed in to %s as %s", result.profile.url, result.profile.username)
        try:
            self._profiles.put(result.profile, replacing=self._editing)
            self._profiles.set_last_used(result.profile.name)
        except (OSError, ValueError) as exc:
            # Signed in all the same; the profile is kept for this run.
            log.warning("The profile %r could not be saved: %s", result.profile.name, exc)
        self._set_busy(False)
        self.signed_in.emit(result.client)
        self.accept()

    def _on_sign_in_failed(self, exc: object) -> None:
        attempt, self._attempt = self._attempt, None
        self._set_busy(False)
        if self._quiet or not self.isVisible():
            self._quiet = False
            self.show()
        self._show_notices()
        message, field = self._describe_failure(exc, attempt)
        self._show_message(message, focus=field)
        if not _is_expected(exc):
            # A bug or a surprise: the details go to a dialog the user can copy them from.
            show_unexpected_error("Signing in failed unexpectedly.", exc if isinstance(exc, BaseException) else str(exc), self)

    def _describe_failure(self, exc: object, attempt: _Attempt | None) -> tuple[str, QWidget | None]:
        """What to tell the user, and the field to fix (None if no field can fix it)."""
        profile = attempt.profile if attempt else None
        where = profile.url if profile else self.url_edit.text()
        who = profile.username if profile else self.username_edit.text()
        if isinstance(exc, _NoStoredPassword):
            return f"No password is saved for {who} on {where}. Enter it to sign in.", self.password_edit
        if isinstance(exc, AuthenticationError):
            log.warning("Sign-in to %s as %s refused: %s", where, who, exc)
            if attempt is not None and attempt.from_keyring:
                self.password_edit.clear()  # it was never typed here; the user types the right one
                self._password_from_keyring = False
                return (
                    f"The password saved in the OS keyring for {who} was refused by {where} ({exc.message}). "
                    "Enter the right one.",
                    self.password_edit,
                )
            return f"Wrong user name or password for {where}: {exc.message}", self.password_edit
        if isinstance(exc, TLSVerificationError):  # before its parent, ServerUnreachableError
            log.warning("TLS verification failed for %s: %s", where, exc)
            return exc.message, self.ca_bundle_edit if self.verify_check.isChecked() else self.url_edit
        if isinstance(exc, ServerUnreachableError):
            log.warning("Sign-in to %s: server unreachable: %s", where, exc)
            return f"The server cannot be reached. {exc.message}", self.url_edit
        if isinstance(exc, NotFoundError):
            return f"There is no Dioptra sign-in at {where} (HTTP 404). Check the server URL.", self.url_edit
        if isinstance(exc, ServerError):
            log.warning("Sign-in to %s: server error: %s", where, exc)
            return f"The server at {where} failed while signing in: {exc}", None
        if isinstance(exc, ApiError):
            log.warning("Sign-in to %s refused: %s", where, exc)
            return f"The server at {where} refused to sign in: {exc}", None
        if isinstance(exc, ValueError):
            return str(exc), self.url_edit
        if isinstance(exc, OSError):  # ssl.SSLError included: a file that is not a PEM bundle
            ca = profile.ca_bundle if profile else self.ca_bundle_edit.text()
            return f"The CA bundle {ca} cannot be used: {_os_reason(exc)}", self.ca_bundle_edit
        return f"Unexpected error while signing in: {type(exc).__name__}: {exc}", None

    def _show_if_still_busy(self) -> None:
        if self.is_busy and not self.isVisible():
            self.show()

    def _set_busy(self, busy: bool, status: str = "") -> None:
        for widget in self._form_widgets:
            widget.setEnabled(not busy)
        self._on_verify_toggled(self.verify_check.isChecked())
        self._update_buttons()
        self.busy_bar.setVisible(busy)
        self.status_label.setText(status)
        self.status_label.setVisible(busy)
        if not busy:
            self._show_after_delay.stop()
        self.cancel_button.setToolTip("Stop signing in" if busy else "")

    # -- messages -----------------------------------------------------------------------

    def _show_message(self, text: str, *, focus: QWidget | None = None, error: bool = True) -> None:
        self.message_label.setStyleSheet(_ERROR_STYLE if error else _INFO_STYLE)
        self.message_label.setProperty("error", error)
        self.message_label.setText(text)
        self.message_label.show()
        if focus is not None and focus.isEnabled():
            focus.setFocus()
            if isinstance(focus, QLineEdit):
                focus.selectAll()

    def _clear_message(self) -> None:
        self.message_label.clear()
        self.message_label.hide()


def _message_label(parent: QWidget, name: str, style: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)  # server messages are not markup
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setStyleSheet(style)
    label.hide()
    return label


def _is_expected(exc: object) -> bool:
    """Failures a user can meet and fix; anything else is a bug or a surprise."""
    return isinstance(exc, _NoStoredPassword | ApiError | ValueError | OSError)


def _probe(credentials: CredentialStore) -> None:
    credentials.probe()


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)

