"""Saved server profiles: where to sign in, as whom, and how to trust the server.

A profile never holds a password (that lives in the OS keyring, see
:mod:`artifact_browser.core.credentials`). Profiles are kept in a small JSON
file in the user's configuration folder; a damaged file is set aside, never a
reason not to start.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from artifact_browser.api.session import normalize_address
from artifact_browser.core.json_files import free_name_beside, write_json_atomically

log = logging.getLogger(__name__)

APP_NAME = "artifact-browser"
PROFILES_FILE = "profiles.json"
# Bumped only if the file's shape changes in a way older versions cannot read.
FILE_VERSION = 1


def default_profiles_path() -> Path:
    """The profiles file in the platform's configuration folder for this program."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / PROFILES_FILE


@dataclass(frozen=True)
class ServerProfile:
    """One saved way to sign in to a Dioptra server.

    Attributes:
        name: What the user calls it; unique among the saved profiles.
        url: The server's root URL, normalised (see :func:`normalize_address`).
        username: The Dioptra user name.
        verify_tls: Whether the server's TLS certificate is checked (on unless the user says otherwise).
        ca_bundle: A PEM file of CA certificates to trust instead of the system's, if any.

    Raises:
        ValueError: an empty name or user name, or a URL that is not http(s) with a host.
    """

    name: str
    url: str
    username: str
    verify_tls: bool = True
    ca_bundle: str | None = None

    def __post_init__(self) -> None:
        # Normalised here so that two spellings of one server are one profile and one keyring entry.
        name = self.name.strip()
        username = self.username.strip()
        if not name:
            raise ValueError("A profile needs a name.")
        if not username:
            raise ValueError("A profile needs a user name.")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "username", username)
        object.__setattr__(self, "url", normalize_address(self.url))
        object.__setattr__(self, "ca_bundle", (self.ca_bundle or "").strip() or None)

    @property
    def verify(self) -> bool | str:
        """What :func:`artifact_browser.api.connect` takes as ``verify``."""
        if not self.verify_tls:
            return False
        return os.path.expanduser(self.ca_bundle) if self.ca_bundle else True

    def to_json(self) -> dict[str, Any]:
        """The profile as stored in the profiles file."""
        return {
            "name": self.name,
            "url": self.url,
            "username": self.username,
            "verify_tls": self.verify_tls,
            "ca_bundle": self.ca_bundle,
        }

    @classmethod
    def from_json(cls, data: Any) -> ServerProfile:
        """Read a profile from the profiles file, ignoring keys a newer version may add.

        Raises:
            ValueError: the entry is not a usable profile.
        """
        if not isinstance(data, dict):
            raise ValueError("a profile must be a JSON object")
        try:
            name, url, username = data["name"], data["url"], data["username"]
        except KeyError as exc:
            raise ValueError(f"a profile has no {exc.args[0]!r}") from None
        verify_tls = data.get("verify_tls", True)
        ca_bundle = data.get("ca_bundle")
        if not all(isinstance(v, str) for v in (name, url, username)):
            raise ValueError("a profile's name, url and username must be text")
        if not isinstance(verify_tls, bool) or not (ca_bundle is None or isinstance(ca_bundle, str)):
            raise ValueError("a profile's verify_tls must be true/false and its ca_bundle text")
        return cls(name=name, url=url, username=username, verify_tls=verify_tls, ca_bundle=ca_bundle)


def suggested_name(url: str, username: str) -> str:
    """A profile name for a user who did not give one: ``alice@dioptra.example.org``.

    Args:
        url: The server's URL (any spelling :func:`normalize_address` accepts).
        username: The Dioptra user name.

    Raises:
        ValueError: the URL is not usable.
    """
    netloc = urlsplit(normalize_address(url)).netloc
    return f"{username.strip()}@{netloc}"


class ProfileStore:
    """The saved profiles and which one was used last, kept in a JSON file.

    Every change is written at once (atomically: a temporary file, then a
    rename), so a crash never leaves half a file. Reading is forgiving: a file
    that is not valid JSON is renamed to ``<file>.bak`` and the store starts
    empty; entries that cannot be read are skipped (the file is copied to
    ``<file>.bak`` first, because the next save would drop them). Each such
    event is logged and listed in :attr:`warnings` for the GUI to show.

    Args:
        path: The profiles file; the platform's configuration folder by default.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_profiles_path()
        self._profiles: list[ServerProfile] = []
        self._last_used: str | None = None
        self.warnings: list[str] = []
        self._load()

    # -- reading ----------------------------------------------------------------------

    @property
    def profiles(self) -> list[ServerProfile]:
        """The saved profiles in the order they were added."""
        return list(self._profiles)

    def names(self) -> list[str]:
        """The names of the saved profiles."""
        return [p.name for p in self._profiles]

    def get(self, name: str) -> ServerProfile | None:
        """The profile called ``name``, if there is one."""
        return next((p for p in self._profiles if p.name == name), None)

    def find(self, url: str, username: str) -> ServerProfile | None:
        """The first profile for ``username`` on the server at ``url`` (any spelling of it)."""
        try:
            address = normalize_address(url)
        except ValueError:
            return None
        return next((p for p in self._profiles if p.url == address and p.username == username.strip()), None)

    def unique_name(self, base: str) -> str:
        """``base``, or ``base (2)``, ``base (3)`` … whichever no profile has yet."""
        name, number = base, 2
        while self.get(name) is not None:
            name = f"{base} ({number})"
            number += 1
        return name

    @property
    def last_used(self) -> ServerProfile | None:
        """The profile of the last successful sign-in, if it still exists."""
        return self.get(self._last_used) if self._last_used else None

    # -- changing ---------------------------------------------------------------------

    def put(self, profile: ServerProfile, *, replacing: str | None = None) -> None:
        """Add ``profile``, or replace the profile called ``replacing`` (an edit, perhaps a rename).

        Args:
            profile: The profile to keep.
            replacing: The name of the profile being edited; None to add a new one
                (or to replace the one already called ``profile.name``).

        Raises:
            ValueError: another profile already has ``profile.name``.
            OSError: the file cannot be written (the store keeps the change in memory).
        """
        old_name = replacing if replacing is not None and self.get(replacing) else profile.name
        if profile.name != old_name and self.get(profile.name) is not None:
            raise ValueError(f"A profile called {profile.name!r} already exists.")
        index = next((i for i, p in enumerate(self._profiles) if p.name == old_name), None)
        if index is None:
            self._profiles.append(profile)
        else:
            self._profiles[index] = profile
        if self._last_used == old_name:
            self._last_used = profile.name
        self.save()

    def remove(self, name: str) -> ServerProfile | None:
        """Forget the profile called ``name``; returns it, or None if there was none.

        Raises:
            OSError: the file cannot be written.
        """
        profile = self.get(name)
        if profile is None:
            return None
        self._profiles.remove(profile)
        if self._last_used == name:
            self._last_used = None
        self.save()
        return profile

    def set_last_used(self, name: str) -> None:
        """Remember ``name`` as the profile to offer first next time.

        Raises:
            KeyError: there is no profile called ``name``.
            OSError: the file cannot be written.
        """
        if self.get(name) is None:
            raise KeyError(name)
        self._last_used = name
        self.save()

    def save(self) -> None:
        """Write the file now (every change already does).

        Raises:
            OSError: the folder or file cannot be written.
        """
        data = {
            "version": FILE_VERSION,
            "last_used": self._last_used,
            "profiles": [p.to_json() for p in self._profiles],
        }
        write_json_atomically(self.path, data, indent=2)

    # -- internals --------------------------------------------------------------------

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            if isinstance(exc, UnicodeDecodeError):
                self._set_aside(f"is not text ({exc.reason})", move=True)
            else:
                self._warn(f"The saved server profiles in {self.path} cannot be read: {exc.strerror or exc}")
            return
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or not isinstance(data.get("profiles", []), list):
                raise ValueError("it is not a profiles file")
        except ValueError as exc:
            self._set_aside(f"is damaged ({exc})", move=True)
            return
        profiles, problems = _read_profiles(data.get("profiles", []))
        if problems:
            self._set_aside("has entries that cannot be read: " + "; ".join(problems), move=False)
        self._profiles = profiles
        last_used = data.get("last_used")
        self._last_used = last_used if isinstance(last_used, str) and self.get(last_used) else None

    def _set_aside(self, why: str, *, move: bool) -> None:
        """Keep a copy of a file that cannot be read fully, so the next save loses nothing for good."""
        backup = free_name_beside(self.path, "bak")
        try:
            if move:
                os.replace(self.path, backup)
            else:
                shutil.copy2(self.path, backup)
        except OSError as exc:
            self._warn(f"The saved server profiles file {self.path} {why}, and it could not be set aside: {exc}")
            return
        if move:
            self._warn(f"The saved server profiles file {self.path} {why}. It was set aside as {backup.name}.")
        else:
            self._warn(
                f"The saved server profiles file {self.path} {why}. Those entries were skipped; "
                f"the whole file was copied to {backup.name}."
            )

    def _warn(self, message: str) -> None:
        log.warning("%s", message)
        self.warnings.append(message)


def _read_profiles(entries: Iterable[Any]) -> tuple[list[ServerProfile], list[str]]:
    profiles: list[ServerProfile] = []
    problems: list[str] = []
    for number, entry in enumerate(entries, start=1):
        try:
            profile = ServerProfile.from_json(entry)
        except ValueError as exc:
            problems.append(f"entry {number}: {exc}")
            continue
        if any(p.name == profile.name for p in profiles):
            problems.append(f"entry {number}: a second profile called {profile.name!r}")
            continue
        profiles.append(profile)
    return profiles, problems
