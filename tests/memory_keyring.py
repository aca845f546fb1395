"""A keyring backend that lives in memory, and fixtures that install it (or no backend at all).

Import the fixtures into a test module::

    from memory_keyring import memory_keyring, no_keyring_backend  # noqa: F401 - fixtures

Tests then use the real ``keyring`` API (``keyring.set_password`` as a user's
``keyring set`` would) against a backend that forgets everything afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.compat import properties
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """Keeps passwords in a dict; counts calls so tests can see what was asked.

    Attributes:
        passwords: ``(service, username) -> password``.
        calls: Every operation as ``(name, service, username)``.
    """

    @properties.classproperty
    def priority(cls) -> float:
        # Below the "fail" (0) and "null" (-1) backends: keyring's own discovery never
        # chooses it, nor chains it; only keyring.set_keyring installs it.
        return -2

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}
        self.calls: list[tuple[str, str, str]] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append(("get", service, username))
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append(("set", service, username))
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls.append(("delete", service, username))
        try:
            del self.passwords[(service, username)]
        except KeyError:
            raise PasswordDeleteError("no such password") from None


class BrokenKeyring(KeyringBackend):
    """A backend that exists but fails on every call, like a locked or crashed Secret Service."""

    @properties.classproperty
    def priority(cls) -> float:
        return -2

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("the keyring daemon went away")

    set_password = delete_password = get_password  # type: ignore[assignment]


def _installed(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """The process's keyring is an empty :class:`MemoryKeyring` for this test."""
    yield from _installed(MemoryKeyring())  # type: ignore[misc]


@pytest.fixture
def no_keyring_backend() -> Iterator[KeyringBackend]:
    """The process has no usable keyring backend, as on a headless Linux machine."""
    yield from _installed(fail.Keyring())


@pytest.fixture
def broken_keyring() -> Iterator[KeyringBackend]:
    """The process's keyring backend fails on every call."""
    yield from _installed(BrokenKeyring())
