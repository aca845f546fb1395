"""Transfer messages and the history file, without a server."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from artifact_browser.api.errors import IntegrityError, NotFoundError, ServerError, ServerUnreachableError
from artifact_browser.core.archive import UnsafeArchiveError
from artifact_browser.core.transfers import (
    INTERRUPTED,
    Transfer,
    TransferHistory,
    TransferKind,
    TransferRequest,
    TransferState,
    describe_error,
)

REQUEST = TransferRequest(
    artifact_id=3,
    name="model.bin",
    kind=TransferKind.FILE,
    destination=Path("/data/downloads/model.bin"),
    expected_size=10,
    expected_files=(("a/b.txt", 4),),
    link="http://127.0.0.1:5000/api/v1/artifacts/3/contents",
)


@pytest.mark.parametrize(
    ("exc", "says"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), ["free space", "/data/downloads"]),
        (PermissionError(errno.EACCES, "Permission denied"), ["Choose another folder", "/data/downloads"]),
        (OSError(errno.EROFS, "Read-only file system"), ["Choose another folder"]),
        (OSError(errno.ENAMETOOLONG, "File name too long"), ["shorter name"]),
        (ServerUnreachableError("The server closed the connection before the end of the download."), ["connection", "Retry"]),
        (IntegrityError("model.bin: received 5 bytes but the server lists 10. The file was not kept; try again."), ["5 bytes"]),
        (NotFoundError("gone", 404), ["no longer exists"]),
        (ServerError("Internal Server Error", 500), ["Retry later"]),
        (UnsafeArchiveError("../evil", "its path climbs out of the folder with '..'"), ["refused", "../evil"]),
        (RuntimeError("boom"), ["Unexpected error", "boom"]),
    ],
)
def test_errors_become_messages_that_say_what_to_do(exc, says):
    message = describe_error(exc, REQUEST)
    for words in says:
        assert words.lower() in message.lower()


def test_the_history_round_trips_every_field(tmp_path):
    history = TransferHistory(tmp_path / "deep" / "transfers.json")
    done = Transfer(
        id=4, request=REQUEST, state=TransferState.DONE, bytes_done=10, total=10, result=REQUEST.destination,
        created_at=100.5, finished_at=101.25,
    )
    failed = Transfer(id=5, request=REQUEST, state=TransferState.FAILED, error="Cannot write", created_at=102.0, finished_at=103.0)
    history.save([done, failed])
    assert history.load() == [done, failed]
    assert history.warning is None
    assert [p.name for p in history.path.parent.iterdir()] == ["transfers.json"]  # no temporary file left


def test_unfinished_transfers_come_back_as_interrupted(tmp_path):
    history = TransferHistory(tmp_path / "transfers.json")
    history.save(
        [
            Transfer(id=1, request=REQUEST, state=TransferState.RUNNING, bytes_done=5, created_at=1.0),
            Transfer(id=2, request=REQUEST, state=TransferState.QUEUED, created_at=2.0),
        ]
    )
    loaded = history.load()
    assert [(t.state, t.error, t.bytes_done) for t in loaded] == [(TransferState.FAILED, INTERRUPTED, 0)] * 2


def test_a_missing_history_is_an_empty_list_without_warning(tmp_path):
    history = TransferHistory(tmp_path / "none.json")
    assert history.load() == [] and history.warning is None


@pytest.mark.parametrize(
    "content",
    [
        b"not json at all",
        b"\xff\xfe\x00garbage",
        json.dumps({"version": 99, "transfers": []}).encode(),
        json.dumps({"version": 1, "transfers": [{"id": 1}]}).encode(),
        json.dumps({"version": 1, "transfers": "many"}).encode(),
        json.dumps([1, 2, 3]).encode(),
    ],
)
def test_a_damaged_history_is_set_aside(tmp_path, content):
    path = tmp_path / "transfers.json"
    path.write_bytes(content)
    history = TransferHistory(path)
    assert history.load() == []
    assert history.warning and "damaged" in history.warning
    [aside] = [p for p in tmp_path.iterdir()]
    assert aside.name.startswith("transfers.json.damaged-") and aside.read_bytes() == content
    # Twice in the same second: the second copy gets its own name.
    path.write_bytes(content)
    assert TransferHistory(path).load() == []
    assert len(list(tmp_path.iterdir())) == 2
