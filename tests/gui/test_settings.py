"""What the program remembers survives a restart, and a damaged settings file falls back to defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QSettings, QStringListModel, Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QTableView

from artifact_browser.api.artifacts import SORT_KEYS
from artifact_browser.qt.settings import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_SORT,
    MAX_PAGE_SIZE,
    MIN_PAGE_SIZE,
    Settings,
    SortOrder,
)


@pytest.fixture
def ini(tmp_path: Path) -> Path:
    return tmp_path / "artifact-browser.ini"


def fresh(ini: Path) -> Settings:
    """A Settings reading the file from scratch, as the next run of the program would."""
    return Settings(QSettings(str(ini), QSettings.Format.IniFormat))


def written(ini: Path, settings: Settings) -> Settings:
    settings.sync()
    assert settings.qsettings.status() == QSettings.Status.NoError
    return fresh(ini)


def test_a_new_user_gets_the_defaults(ini: Path) -> None:
    settings = fresh(ini)
    assert settings.page_size() == DEFAULT_PAGE_SIZE
    assert settings.sort_order() == DEFAULT_SORT == SortOrder("id", True)
    assert settings.last_search() == ""
    assert settings.window_geometry() is None and settings.window_state() is None
    assert settings.splitter_sizes("main") is None and settings.header_state("artifacts") is None


def test_the_table_choices_round_trip(ini: Path) -> None:
    settings = fresh(ini)
    settings.set_page_size(250)
    settings.set_sort_order(SortOrder("description", descending=False))
    settings.set_last_search('description:"mnist*" model')
    again = written(ini, settings)
    assert again.page_size() == 250
    assert again.sort_order() == SortOrder("description", False)
    assert again.last_search() == 'description:"mnist*" model'


@pytest.mark.parametrize("key", SORT_KEYS)
@pytest.mark.parametrize("descending", [True, False])
def test_every_server_sort_key_round_trips(ini: Path, key: str, descending: bool) -> None:
    settings = fresh(ini)
    settings.set_sort_order(SortOrder(key, descending))
    assert written(ini, settings).sort_order() == SortOrder(key, descending)


def test_invalid_choices_are_refused_when_set(ini: Path) -> None:
    settings = fresh(ini)
    with pytest.raises(ValueError, match="between 10 and 1000"):
        settings.set_page_size(MAX_PAGE_SIZE + 1)
    with pytest.raises(ValueError, match="cannot sort artifacts by 'task'"):
        settings.set_sort_order(SortOrder("task", True))
    assert settings.page_size() == DEFAULT_PAGE_SIZE and settings.sort_order() == DEFAULT_SORT


DAMAGED_INI = """\
[window]
geometry=not a geometry
state=@ByteArray(garbage)

[splitters]
main="300,wide"
details=-5

[headers]
artifacts=@ByteArray(\\x1\\x2\\x3)

[table]
pageSize=lots
sortKey=colour
sortDescending=maybe
lastSearch=@Invalid()

[session]
lastProfile=
"""


def test_a_damaged_file_falls_back_to_defaults_instead_of_failing(ini: Path, qtbot) -> None:
    ini.write_text(DAMAGED_INI, encoding="utf-8")
    settings = fresh(ini)
    assert settings.page_size() == DEFAULT_PAGE_SIZE
    assert settings.sort_order() == DEFAULT_SORT
    assert settings.last_search() == ""
    assert settings.window_geometry() is None  # a string is not a geometry
    assert settings.splitter_sizes("main") is None and settings.splitter_sizes("details") is None

    window = QMainWindow()
    qtbot.addWidget(window)
    window.resize(640, 480)
    assert settings.restore_window(window) is False
    assert window.size().width() == 640  # untouched

    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(QStringListModel(["a", "b"]))
    width = view.horizontalHeader().sectionSize(0)
    assert settings.restore_header("artifacts", view.horizontalHeader()) is False
    assert view.horizontalHeader().sectionSize(0) == width


@pytest.mark.parametrize("raw", ["5", "0", "-100", "1001", "true", "12.5"])
def test_page_sizes_out_of_range_fall_back(ini: Path, raw: str) -> None:
    ini.write_text(f"[table]\npageSize={raw}\n", encoding="utf-8")
    assert fresh(ini).page_size() == DEFAULT_PAGE_SIZE


def test_page_size_limits_are_accepted(ini: Path) -> None:
    settings = fresh(ini)
    for size in (MIN_PAGE_SIZE, MAX_PAGE_SIZE):
        settings.set_page_size(size)
        assert written(ini, settings).page_size() == size


def test_window_splitter_and_columns_survive_a_restart(ini: Path, qtbot) -> None:
    def build() -> tuple[QMainWindow, QSplitter, QTableView]:
        window = QMainWindow()
        qtbot.addWidget(window)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        view = QTableView()
        view.setModel(QStandardItemModel(3, 3, view))  # three columns, so an order can change
        splitter.addWidget(QLabel("tree"))
        splitter.addWidget(view)
        splitter.addWidget(QLabel("details"))
        window.setCentralWidget(splitter)
        window.resize(500, 400)
        window.show()
        qtbot.waitExposed(window)
        return window, splitter, view

    window, splitter, view = build()
    # Within the offscreen screen (800x600): restoreGeometry moves a window back onto its screen.
    window.resize(720, 520)
    splitter.setSizes([150, 350, 200])
    header = view.horizontalHeader()
    header.resizeSection(0, 177)
    header.moveSection(2, 0)  # the user dragged the last column to the front
    sizes = splitter.sizes()
    settings = fresh(ini)
    settings.save_window(window)
    settings.save_splitter("main", splitter)
    settings.save_header("artifacts", header)

    again = written(ini, settings)
    window2, splitter2, view2 = build()
    assert again.restore_window(window2) is True
    assert again.restore_splitter("main", splitter2) is True
    assert again.restore_header("artifacts", view2.horizontalHeader()) is True
    qtbot.waitUntil(lambda: window2.size().width() == 720)
    assert window2.size().height() == 520
    assert splitter2.sizes() == sizes
    header2 = view2.horizontalHeader()
    assert header2.sectionSize(0) == 177
    assert header2.logicalIndex(0) == 2


def test_a_splitter_with_another_layout_keeps_its_own_sizes(ini: Path, qtbot) -> None:
    settings = fresh(ini)
    settings.set_splitter_sizes("main", [100, 200, 300])
    splitter = QSplitter()
    qtbot.addWidget(splitter)
    splitter.addWidget(QLabel("one"))
    splitter.addWidget(QLabel("two"))
    splitter.resize(400, 100)
    before = splitter.sizes()
    assert written(ini, settings).restore_splitter("main", splitter) is False
    assert splitter.sizes() == before


def test_geometry_bytes_round_trip_exactly(ini: Path) -> None:
    blob = bytes(range(256))  # every byte value, the NUL and the INI's own "=" and "\n" included
    settings = fresh(ini)
    settings.set_window_geometry(blob)
    settings.set_header_state("artifacts", QByteArray(blob))
    again = written(ini, settings)
    assert bytes(again.window_geometry().data()) == blob
    assert bytes(again.header_state("artifacts").data()) == blob


def test_the_default_file_is_the_users_ini_file() -> None:
    settings = Settings()
    assert settings.qsettings.format() == QSettings.Format.IniFormat
    assert settings.qsettings.organizationName() == "artifact-browser"
    assert settings.qsettings.applicationName() == "artifact-browser"


def test_download_choices_round_trip(ini: Path) -> None:
    from artifact_browser.qt.settings import DEFAULT_DOWNLOAD_FORMAT, DEFAULT_PARALLEL_TRANSFERS

    settings = fresh(ini)
    assert settings.last_download_folder() is None
    assert settings.last_download_format() == DEFAULT_DOWNLOAD_FORMAT == "tar_gz"
    assert settings.max_parallel_transfers() == DEFAULT_PARALLEL_TRANSFERS == 2
    settings.set_last_download_folder("/data/Ergebnisse – déjà vu")
    settings.set_last_download_format("extract")
    settings.set_max_parallel_transfers(5)
    again = written(ini, settings)
    assert again.last_download_folder() == "/data/Ergebnisse – déjà vu"
    assert again.last_download_format() == "extract"
    assert again.max_parallel_transfers() == 5

    again.set_last_download_folder(None)
    assert written(ini, again).last_download_folder() is None


def test_invalid_download_choices_are_refused_and_damaged_ones_fall_back(ini: Path) -> None:
    settings = fresh(ini)
    with pytest.raises(ValueError, match="tar_gz, zip, extract"):
        settings.set_last_download_format("rar")
    with pytest.raises(ValueError, match="transfers can run at once"):
        settings.set_max_parallel_transfers(0)
    ini.write_text("[downloads]\nlastFormat=rar\nmaxParallel=99\nlastFolder=\n", encoding="utf-8")
    damaged = fresh(ini)
    assert damaged.last_download_format() == "tar_gz"
    assert damaged.max_parallel_transfers() == 2
    assert damaged.last_download_folder() is None
