"""Passwords in the OS keyring, or in memory for this run when there is no usable keyring.

Passwords are stored under service ``artifact-browser`` and user name
``<username>@<server URL>`` (the URL normalised), so a user can pre-seed one::

    keyring set artifact-browser alice@https://dioptra.example.org

When the system has no usable keyring backend (common on headless Linux), or
the backend fails, the store says so in :attr:`CredentialStore.problem` and
keeps passwords in this process's memory only. It never writes a password to a
file of its own.

Finding the keyring backend can take a noticeable fraction of a second and a
backend may wait for the user to unlock it, so call this module from a worker,
never from the GUI thread.
"""

from __future__ import annotations

import logging
import threading

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import PasswordDeleteError

from artifact_browser.api.session import normalize_address

log = logging.getLogger(__name__)

SERVICE = "artifact-browser"

_RUN_ONLY = "Passwords are kept in memory for this run only."


def account_name(username: str, url: str) -> str:
    """The keyring user name for ``username`` on the server at ``url``: ``alice@http://127.0.0.1:5000``.

    Raises:
        ValueError: ``url`` is not a usable server address.
    """
    return f"{username.strip()}@{normalize_address(url)}"


class CredentialStore:
    """Reads and writes sign-in passwords; thread-safe.

    Args:
        backend: The keyring backend to use; the one ``keyring`` chooses by default
            (looked up on first use, which may be slow).
        service: The keyring service name.
    """

    def __init__(self, backend: KeyringBackend | None = None, *, service: str = SERVICE) -> None:
        self.service = service
        self._backend = backend
        self._resolved = False
        self._problem: str | None = None
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def problem(self) -> str | None:
        """Why the OS keyring is not used, in words for the user; None while it works (or is untried)."""
        with self._lock:
            return self._problem

    @property
    def usable(self) -> bool:
        """False once the keyring has turned out unusable; passwords then live in memory only."""
        return self.problem is None

    def probe(self) -> bool:
        """Find the keyring backend now and judge it; returns :attr:`usable`."""
        self._backend_or_none()
        return self.usable

    def get(self, username: str, url: str) -> str | None:
        """The password saved for ``username`` on ``url``, or None.

        Raises:
            ValueError: ``url`` is not a usable server address.
        """
        account = account_name(username, url)
        backend = self._backend_or_none()
        if backend is not None:
            try:
                return backend.get_password(self.service, account)
            except Exception as exc:  # noqa: BLE001 - any backend failure: fall back, say why
                self._give_up(f"The OS keyring could not be read ({_describe(exc)}).")
        with self._lock:
            return self._memory.get(account)

    def set(self, username: str, url: str, password: str) -> bool:
        """Save the password for ``username`` on ``url``.

        Returns:
            True if the OS keyring holds it; False if it is kept in memory for this run only.

        Raises:
            ValueError: ``url`` is not a usable server address.
        """
        account = account_name(username, url)
        backend = self._backend_or_none()
        if backend is not None:
            try:
                backend.set_password(self.service, account, password)
            except Exception as exc:  # noqa: BLE001 - any backend failure: fall back, say why
                self._give_up(f"The password could not be saved in the OS keyring ({_describe(exc)}).")
            else:
                log.info("Saved the password of %s in the OS keyring", account)
                return True
        with self._lock:
            self._memory[account] = password
        log.info("Keeping the password of %s in memory for this run only", account)
        return False

    def delete(self, username: str, url: str) -> None:
        """Forget the password for ``username`` on ``url``, wherever it is kept (no error if none).

        Raises:
            ValueError: ``url`` is not a usable server address.
        """
        account = account_name(username, url)
        with self._lock:
            self._memory.pop(account, None)
        backend = self._backend_or_none()
        if backend is None:
            return
        try:
            if backend.get_password(self.service, account) is None:
                return
            backend.delete_password(self.service, account)
        except PasswordDeleteError:
            return  # already gone
        except Exception as exc:  # noqa: BLE001 - any backend failure: fall back, say why
            self._give_up(f"The password could not be removed from the OS keyring ({_describe(exc)}).")
            return
        log.info("Removed the password of %s from the OS keyring", account)

    # -- internals --------------------------------------------------------------------

    def _backend_or_none(self) -> KeyringBackend | None:
        """The backend to use, or None once it has turned out unusable."""
        with self._lock:
            if self._problem is not None:
                return None
            resolved = self._resolved
            backend = self._backend
        if not resolved:
            if backend is None:
                try:
                    backend = keyring.get_keyring()
                except Exception as exc:  # noqa: BLE001 - a broken keyring setup must not stop the program
                    self._give_up(f"The OS keyring could not be opened ({_describe(exc)}).")
                    return None
            why = _why_unusable(backend)
            with self._lock:
                self._backend = backend
                self._resolved = True
            if why:
                self._give_up(why)
                return None
        return backend

    def _give_up(self, why: str) -> None:
        with self._lock:
            first = self._problem is None
            if first:
                self._problem = f"{why} {_RUN_ONLY}"
        if first:
            log.warning("%s", self._problem)


def _why_unusable(backend: KeyringBackend) -> str | None:
    """Why ``backend`` cannot keep passwords, or None if it can."""
    if isinstance(backend, fail.Keyring):
        return "No usable OS keyring was found on this system."
    if isinstance(backend, null.Keyring):
        return "The OS keyring is switched off (null backend)."
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return "No usable OS keyring was found on this system."
    return None


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    # A backend's message can be a paragraph; the first sentence says enough.
    text = text.split(". ")[0].rstrip(".")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
