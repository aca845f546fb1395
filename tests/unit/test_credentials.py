"""Passwords go to the OS keyring under a name users can pre-seed, or stay in memory, never in a file."""

from __future__ import annotations

import logging
from pathlib import Path

import keyring
import pytest
from keyring.backends import chainer, fail, null

from artifact_browser.core.credentials import SERVICE, CredentialStore, account_name
from memory_keyring import MemoryKeyring, broken_keyring, memory_keyring, no_keyring_backend  # noqa: F401 - fixtures

URL = "http://127.0.0.1:5000"


def test_the_account_name_is_user_at_the_normalised_url() -> None:
    assert SERVICE == "artifact-browser"
    assert account_name("alice", "localhost:5000/api/v1") == "alice@http://127.0.0.1:5000"
    assert account_name(" bob ", "https://dioptra.example.org/") == "bob@https://dioptra.example.org"
    with pytest.raises(ValueError):
        account_name("alice", "ftp://nowhere")


def test_a_password_seeded_with_keyring_set_is_read_back(memory_keyring: MemoryKeyring) -> None:
    # What `keyring set artifact-browser alice@http://127.0.0.1:5000` does.
    keyring.set_password("artifact-browser", "alice@http://127.0.0.1:5000", "s3cret")
    store = CredentialStore()
    assert store.get("alice", "localhost:5000") == "s3cret"
    assert store.get("bob", URL) is None
    assert store.usable and store.problem is None


def test_set_and_delete_go_to_the_os_keyring(memory_keyring: MemoryKeyring) -> None:
    store = CredentialStore()
    assert store.set("alice", URL, "s3cret") is True
    assert memory_keyring.passwords == {("artifact-browser", "alice@http://127.0.0.1:5000"): "s3cret"}
    assert CredentialStore().get("alice", URL) == "s3cret"  # another run finds it
    store.delete("alice", URL)
    assert memory_keyring.passwords == {}
    store.delete("alice", URL)  # forgetting what is not there is no error
    assert store.usable


def test_an_explicit_backend_is_used_instead_of_the_process_one(memory_keyring: MemoryKeyring) -> None:
    own = MemoryKeyring()
    store = CredentialStore(own)
    store.set("alice", URL, "pw")
    assert ("artifact-browser", "alice@http://127.0.0.1:5000") in own.passwords
    assert memory_keyring.passwords == {}


def test_without_a_backend_passwords_live_for_this_run_only(
    no_keyring_backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    store = CredentialStore()
    with caplog.at_level(logging.WARNING):
        assert store.probe() is False
    assert store.problem == "No usable OS keyring was found on this system. Passwords are kept in memory for this run only."
    assert store.get("alice", URL) is None
    assert store.set("alice", URL, "s3cret-8731") is False
    assert store.get("alice", URL) == "s3cret-8731"
    store.delete("alice", URL)
    assert store.get("alice", URL) is None
    assert caplog.text.count("No usable OS keyring") == 1  # said once, not on every call
    store.set("alice", URL, "s3cret-8731")
    assert CredentialStore().get("alice", URL) is None  # the next run does not know it
    assert list(tmp_path.iterdir()) == []  # never a plain-text file
    assert "s3cret-8731" not in caplog.text


@pytest.mark.parametrize(
    "backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"]
)
def test_the_fail_and_null_backends_are_unusable(backend) -> None:
    store = CredentialStore(backend)
    assert store.probe() is False
    assert "run only" in (store.problem or "")
    assert store.set("alice", URL, "pw") is False
    assert store.get("alice", URL) == "pw"


def test_a_chainer_with_nothing_to_chain_is_unusable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    store = CredentialStore(chainer.ChainerBackend())
    assert store.probe() is False
    assert store.problem is not None and "No usable OS keyring" in store.problem


def test_a_backend_that_fails_is_given_up_for_the_run(broken_keyring) -> None:
    store = CredentialStore()
    assert store.probe() is True  # it looked usable until it was used
    assert store.get("alice", URL) is None
    assert store.problem == (
        "The OS keyring could not be read (RuntimeError: the keyring daemon went away). "
        "Passwords are kept in memory for this run only."
    )
    assert store.set("alice", URL, "pw") is False
    assert store.get("alice", URL) == "pw"


def test_a_failing_write_falls_back_to_memory(memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    def locked(service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    monkeypatch.setattr(memory_keyring, "set_password", locked)
    store = CredentialStore()
    assert store.set("alice", URL, "pw") is False
    assert store.problem is not None and store.problem.startswith(
        "The password could not be saved in the OS keyring (KeyringLocked: Failed to unlock the collection!)"
    )
    assert store.get("alice", URL) == "pw"


def test_a_keyring_that_cannot_even_be_opened_is_unusable(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_setup():
        raise RuntimeError("bad keyringrc.cfg")

    monkeypatch.setattr(keyring, "get_keyring", broken_setup)
    store = CredentialStore()
    assert store.probe() is False
    assert "could not be opened (RuntimeError: bad keyringrc.cfg)" in (store.problem or "")
