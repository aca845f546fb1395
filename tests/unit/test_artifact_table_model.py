"""The artifact table model, fed with artifacts parsed from server-shaped JSON."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QLocale, QModelIndex, QSortFilterProxyModel, Qt

from artifact_browser.api import Artifact, Page
from artifact_browser.core.units import format_size
from artifact_browser.qt.artifact_table_model import ArtifactTableModel, Column, Role
from samples import ARTIFACT_JSON

# Edited at 09:05 UTC, which the locale tests below read in other time zones.
FILE_ARTIFACT: dict[str, Any] = dict(ARTIFACT_JSON, lastModifiedOn="2026-11-28T09:05:00.000001+00:00")


def _directory_artifact() -> dict[str, Any]:
    data = copy.deepcopy(FILE_ARTIFACT)
    data.update(
        id=15,
        snapshot=17,
        description=None,
        isDir=True,
        fileSize=None,
        fileUrl="/api/v1/artifacts/15/contents",
        artifactUri="file:///srv/dioptra/mlartifacts/8a50d5a920d540baa95f62950b85d094/artifacts/outputs/images",
        task={
            "id": 3,
            "name": "save_images",
            "outputParams": [{"name": "images", "parameterType": {"id": 2, "name": "directory"}}],
            "pluginResourceId": 5,
            "pluginResourceSnapshotId": 6,
            "pluginFileResourceId": 7,
            "pluginFileResourceSnapshotId": 8,
        },
    )
    return data


def _page(*rows: dict[str, Any], total: int | None = None) -> Page[Artifact]:
    body = {
        "index": 0,
        "isComplete": total is None,
        "totalNumResults": len(rows) if total is None else total,
        "data": list(rows),
    }
    return Page.from_json(body, Artifact.from_json, page_length=100)


def _with_size(artifact_id: int, size: int) -> dict[str, Any]:
    data = copy.deepcopy(FILE_ARTIFACT)
    data.update(id=artifact_id, fileSize=size)
    return data


@pytest.fixture
def model(qtbot) -> ArtifactTableModel:
    return ArtifactTableModel()


@pytest.fixture
def german_in_kolkata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A user whose locale is German and whose clock is UTC+05:30."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    previous = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    yield
    QLocale.setDefault(previous)
    monkeypatch.undo()
    time.tzset()


def _text(model: ArtifactTableModel, row: int, column: Column, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
    return model.data(model.index(row, column), role)


def test_empty_model_passes_the_model_tester(qtmodeltester, model: ArtifactTableModel) -> None:
    qtmodeltester.check(model)
    assert model.rowCount() == 0
    assert model.columnCount() == len(Column)
    assert model.total == 0


def test_full_model_passes_the_model_tester(qtmodeltester, model: ArtifactTableModel) -> None:
    qtmodeltester.check(model)  # also watches the reset that set_page makes
    model.set_page(_page(FILE_ARTIFACT, _directory_artifact(), total=57))
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    assert model.total == 57
    model.set_page(None)
    assert model.rowCount() == 0


def test_headers_name_the_columns(model: ArtifactTableModel) -> None:
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in Column]
    assert headers == ["ID", "Description", "Job", "Task", "Type", "Size", "Created", "Last modified", "URI"]


def test_a_file_artifact_reads_as_the_server_describes_it(model: ArtifactTableModel) -> None:
    model.set_page(_page(FILE_ARTIFACT))
    shown = {column: _text(model, 0, column) for column in Column}
    assert shown[Column.ID] == "14"
    assert shown[Column.DESCRIPTION] == "single binary file"
    assert shown[Column.JOB] == "13"
    assert shown[Column.TASK] == ""  # the server sends {} for "no task"
    assert shown[Column.TYPE] == "File"
    assert shown[Column.SIZE] == "1.2 KiB"
    assert shown[Column.URI] == FILE_ARTIFACT["artifactUri"]


def test_a_directory_artifact_shows_its_task_and_no_size(model: ArtifactTableModel) -> None:
    model.set_page(_page(_directory_artifact()))
    assert _text(model, 0, Column.TYPE) == "Directory"
    assert _text(model, 0, Column.SIZE) == ""
    assert _text(model, 0, Column.DESCRIPTION) == ""
    assert _text(model, 0, Column.TASK) == "save_images"
    assert _text(model, 0, Column.SIZE, Role.RAW_VALUE) is None


def test_dates_show_in_the_users_time_zone_and_locale(model: ArtifactTableModel, german_in_kolkata: None) -> None:
    model.set_page(_page(FILE_ARTIFACT))
    # 16:12 UTC is 21:42 in Kolkata; German short dates are day.month.year.
    assert _text(model, 0, Column.CREATED) == "27.11.26 21:42"
    assert _text(model, 0, Column.LAST_MODIFIED) == "28.11.26 14:35"
    assert _text(model, 0, Column.SIZE, Qt.ItemDataRole.ToolTipRole) == "1.234 bytes"


def test_dates_are_iso_when_the_locale_states_no_preference(model: ArtifactTableModel, german_in_kolkata: None) -> None:
    QLocale.setDefault(QLocale.c())  # LANG unset or LANG=C
    model.set_page(_page(FILE_ARTIFACT))
    assert _text(model, 0, Column.CREATED) == "2026-11-27 21:42"
    assert _text(model, 0, Column.CREATED, Qt.ItemDataRole.ToolTipRole) == "2026-11-27 21:42:38 IST"


def test_artifact_role_gives_the_artifact_in_every_column(model: ArtifactTableModel) -> None:
    page = _page(FILE_ARTIFACT, _directory_artifact())
    model.set_page(page)
    for column in Column:
        assert _text(model, 1, column, Role.ARTIFACT) is page.items[1]
    assert model.artifact(0) is page.items[0]


def test_raw_values_sort_numbers_as_numbers(model: ArtifactTableModel) -> None:
    # As display strings, "2.0 MiB" < "512 B" < "9.8 KiB": wrong for a user sorting by size.
    model.set_page(_page(_with_size(1, 10_000), _with_size(2, 512), _with_size(3, 2 * 1024 * 1024)))
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(Role.RAW_VALUE)
    proxy.sort(Column.SIZE, Qt.SortOrder.AscendingOrder)
    shown = [proxy.data(proxy.index(row, Column.SIZE)) for row in range(proxy.rowCount())]
    assert shown == ["512 B", "9.8 KiB", "2.0 MiB"]


def test_raw_dates_are_aware_datetimes(model: ArtifactTableModel) -> None:
    model.set_page(_page(FILE_ARTIFACT))
    created = _text(model, 0, Column.CREATED, Role.RAW_VALUE)
    assert created.isoformat() == "2026-11-27T16:12:38.986745+00:00"


def test_numbers_are_right_aligned(model: ArtifactTableModel) -> None:
    model.set_page(_page(FILE_ARTIFACT))
    assert _text(model, 0, Column.SIZE, Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    assert _text(model, 0, Column.URI, Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignLeft


def test_an_invalid_index_has_no_data(model: ArtifactTableModel) -> None:
    model.set_page(_page(FILE_ARTIFACT))
    assert model.data(QModelIndex()) is None
    assert model.rowCount(model.index(0, 0)) == 0


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (None, ""),
        (0, "0 B"),
        (1, "1 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1234, "1.2 KiB"),
        (1024 * 1024 - 1, "1.0 MiB"),  # never "1024.0 KiB"
        (5 * 1024**3 + 1024**3 // 2, "5.5 GiB"),
        (3 * 1024**4, "3.0 TiB"),
        (1024**6, "1.0 EiB"),
    ],
)
def test_format_size(size: int | None, text: str) -> None:
    assert format_size(size) == text


def test_format_size_refuses_negative_sizes() -> None:
    with pytest.raises(ValueError):
        format_size(-1)
