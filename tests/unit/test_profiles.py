"""Saved server profiles: normalised, persisted atomically, and never lost to a damaged file."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from artifact_browser.core import profiles as profiles_module
from artifact_browser.core.profiles import ProfileStore, ServerProfile, suggested_name


def _profile(name: str = "Lab", url: str = "http://127.0.0.1:5000", username: str = "alice", **kwargs) -> ServerProfile:
    return ServerProfile(name=name, url=url, username=username, **kwargs)


# -- ServerProfile ----------------------------------------------------------------------


def test_a_profile_normalises_what_the_user_typed() -> None:
    profile = ServerProfile(name="  Lab ", url="localhost:5000/api/v1/", username=" alice ", ca_bundle="  ")
    assert (profile.name, profile.url, profile.username, profile.ca_bundle) == ("Lab", "http://127.0.0.1:5000", "alice", None)
    assert profile.verify_tls is True  # TLS is verified unless the user says otherwise


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": " "}, "needs a name"),
        ({"username": ""}, "needs a user name"),
        ({"url": "ftp://example.org"}, "must start with http:// or https://"),
        ({"url": ""}, "address is empty"),
    ],
)
def test_an_unusable_profile_is_refused_with_a_reason(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _profile(**fields)


def test_verify_is_what_connect_takes() -> None:
    assert _profile().verify is True
    assert _profile(verify_tls=False, ca_bundle="/etc/ca.pem").verify is False
    assert _profile(ca_bundle="~/ca.pem").verify == str(Path.home() / "ca.pem")


def test_a_profile_reads_back_what_it_wrote_and_ignores_unknown_keys() -> None:
    profile = _profile(url="https://dioptra.example.org", verify_tls=True, ca_bundle="/etc/lab-ca.pem")
    data = profile.to_json() | {"colour": "blue"}
    assert ServerProfile.from_json(data) == profile
    assert "password" not in json.dumps(profile.to_json())


@pytest.mark.parametrize(
    "entry",
    [
        [],
        {"name": "Lab", "url": "http://h"},
        {"name": "Lab", "url": "http://h", "username": 7},
        {"name": "Lab", "url": "http://h", "username": "a", "verify_tls": "yes"},
    ],
)
def test_a_damaged_entry_is_a_value_error(entry) -> None:
    with pytest.raises(ValueError):
        ServerProfile.from_json(entry)


def test_a_suggested_name_says_who_and_where() -> None:
    assert suggested_name("localhost:5000", " alice ") == "alice@127.0.0.1:5000"
    assert suggested_name("https://dioptra.example.org/", "bob") == "bob@dioptra.example.org"


# -- ProfileStore -----------------------------------------------------------------------


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "profiles.json"


def test_a_new_store_is_empty_and_writes_nothing(path: Path) -> None:
    store = ProfileStore(path)
    assert store.profiles == [] and store.last_used is None and store.warnings == []
    assert not path.exists()


def test_profiles_and_the_last_used_one_survive_a_restart(path: Path) -> None:
    store = ProfileStore(path)
    lab = _profile("Lab")
    prod = _profile("Production", url="https://dioptra.example.org", username="bob", ca_bundle="/etc/ca.pem")
    store.put(lab)
    store.put(prod)
    store.set_last_used("Production")

    again = ProfileStore(path)
    assert again.profiles == [lab, prod]
    assert again.last_used == prod
    assert again.warnings == []
    assert "password" not in path.read_text(encoding="utf-8")


def test_the_default_file_is_in_the_users_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = []

    def user_config_dir(appname, appauthor=None, **kwargs):
        asked.append(appname)
        return str(tmp_path / "cfg")

    monkeypatch.setattr(profiles_module.platformdirs, "user_config_dir", user_config_dir)
    store = ProfileStore()
    store.put(_profile())
    assert asked == ["artifact-browser"]
    assert (tmp_path / "cfg" / "profiles.json").is_file()


def test_editing_a_profile_can_rename_it_and_keeps_it_last_used(path: Path) -> None:
    store = ProfileStore(path)
    store.put(_profile("Lab"))
    store.put(_profile("Other", username="bob"))
    store.set_last_used("Lab")
    store.put(_profile("Lab 2", username="carol"), replacing="Lab")
    assert store.names() == ["Lab 2", "Other"]  # edited in place, not appended
    assert store.last_used is not None and store.last_used.username == "carol"
    assert ProfileStore(path).last_used == store.last_used


def test_putting_a_profile_under_its_own_name_replaces_it(path: Path) -> None:
    store = ProfileStore(path)
    store.put(_profile("Lab"))
    store.put(_profile("Lab", username="bob"))
    assert [(p.name, p.username) for p in store.profiles] == [("Lab", "bob")]


def test_a_rename_onto_another_profiles_name_is_refused(path: Path) -> None:
    store = ProfileStore(path)
    store.put(_profile("Lab"))
    store.put(_profile("Other"))
    with pytest.raises(ValueError, match="'Other' already exists"):
        store.put(_profile("Other", username="bob"), replacing="Lab")
    assert [(p.name, p.username) for p in ProfileStore(path).profiles] == [("Lab", "alice"), ("Other", "alice")]


def test_removing_a_profile_forgets_it_and_its_last_used_mark(path: Path) -> None:
    store = ProfileStore(path)
    store.put(_profile("Lab"))
    store.put(_profile("Other"))
    store.set_last_used("Lab")
    assert store.remove("Lab") == _profile("Lab")
    assert store.remove("Lab") is None
    again = ProfileStore(path)
    assert again.names() == ["Other"] and again.last_used is None


def test_last_used_must_name_a_profile(path: Path) -> None:
    with pytest.raises(KeyError):
        ProfileStore(path).set_last_used("Nowhere")


def test_find_matches_any_spelling_of_the_server(path: Path) -> None:
    store = ProfileStore(path)
    store.put(_profile("Lab", url="http://127.0.0.1:5000"))
    assert store.find("localhost:5000/", "alice") == store.get("Lab")
    assert store.find("http://127.0.0.1:5000", "bob") is None
    assert store.find("not a url ://", "alice") is None


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'["a", "list"]', b'{"profiles": "nope"}', b"\xff\xfe\x00garbage"],
    ids=["syntax", "list", "profiles-not-a-list", "not-text"],
)
def test_a_damaged_file_is_set_aside_not_a_crash(path: Path, content: bytes, caplog: pytest.LogCaptureFixture) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING):
        store = ProfileStore(path)
    assert store.profiles == []
    backup = path.with_name("profiles.json.bak")
    assert backup.read_bytes() == content  # nothing the user had is lost
    assert not path.exists()
    (warning,) = store.warnings
    assert "set aside as profiles.json.bak" in warning
    assert warning in caplog.text

    store.put(_profile())  # and the program carries on
    assert ProfileStore(path).names() == ["Lab"]


def test_an_earlier_backup_is_never_overwritten(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.with_name("profiles.json.bak").write_text("first", encoding="utf-8")
    path.write_text("second {", encoding="utf-8")
    store = ProfileStore(path)
    assert path.with_name("profiles.json.bak").read_text(encoding="utf-8") == "first"
    assert path.with_name("profiles.json.bak.2").read_text(encoding="utf-8") == "second {"
    assert "profiles.json.bak.2" in store.warnings[0]


def test_damaged_entries_are_skipped_and_the_file_is_copied_first(path: Path) -> None:
    good = _profile("Lab")
    data = {
        "version": 1,
        "last_used": "Broken",
        "profiles": [good.to_json(), {"name": "Broken", "url": "ftp://x", "username": "a"}, good.to_json(), 42],
    }
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    store = ProfileStore(path)
    assert store.profiles == [good]
    assert store.last_used is None  # it named a profile that could not be read
    (warning,) = store.warnings
    assert "entry 2" in warning and "entry 3: a second profile called 'Lab'" in warning and "entry 4" in warning
    assert json.loads(path.with_name("profiles.json.bak").read_text(encoding="utf-8")) == data


def test_an_unreadable_file_is_a_warning(path: Path) -> None:
    path.mkdir(parents=True)  # a folder where the file should be: reading fails with an OSError
    store = ProfileStore(path)
    assert store.profiles == []
    assert "cannot be read" in store.warnings[0]
    with pytest.raises(OSError):
        store.put(_profile())
    assert store.names() == ["Lab"]  # kept for this run even though it could not be written


def test_a_failed_save_leaves_the_old_file_whole(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ProfileStore(path)
    store.put(_profile("Lab"))
    before = path.read_text(encoding="utf-8")

    def broken_dump(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(profiles_module.json, "dump", broken_dump)
    with pytest.raises(OSError, match="No space left"):
        store.put(_profile("Other"))
    assert path.read_text(encoding="utf-8") == before
    assert [p.name for p in path.parent.iterdir()] == ["profiles.json"]  # no temporary file left behind


def test_a_unique_name_never_clashes(path: Path) -> None:
    store = ProfileStore(path)
    assert store.unique_name("Lab") == "Lab"
    store.put(_profile("Lab"))
    store.put(_profile("Lab (2)"))
    assert store.unique_name("Lab") == "Lab (3)"
