"""The main window: the signed-in server's artifacts in a table."""

from __future__ import annotations

import logging

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QMainWindow, QTableView, QWidget

from artifact_browser.api import ApiError, Artifact, DioptraClient, Page
from artifact_browser.qt.artifact_table_model import ArtifactTableModel, Column
from artifact_browser.qt.workers import CancelToken, TaskRunner

log = logging.getLogger(__name__)

APP_TITLE = "Artifact Browser"
PAGE_LENGTH = 100
# Newest first: what a user looks for after a job has run.
SORT_BY = "createdOn"
DESCENDING = True
# Long descriptions would push every other column out of sight.
_MAX_DESCRIPTION_WIDTH = 320


class MainWindow(QMainWindow):
    """The artifact browser's window for one signed-in :class:`DioptraClient`.

    The window never talks to the server itself: every request goes through a
    :class:`TaskRunner`, and answers arrive on the GUI thread.

    Args:
        client: A client whose session is already signed in.
        parent: The parent widget, if any.
    """

    def __init__(self, client: DioptraClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        username = client.session.username or "(not signed in)"
        self.setWindowTitle(f"{APP_TITLE} — {username} @ {client.address}")

        self.model = ArtifactTableModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("artifactTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # URIs differ at both ends
        self.table.verticalHeader().hide()
        # One line of text per row with a little air: a page of 100 should not need a long scroll.
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.setCentralWidget(self.table)

        # A label rather than showMessage(): menu status tips clear the message on hover,
        # but only hide a label for as long as they are shown.
        self.status_label = QLabel(self)
        self.status_label.setObjectName("loadStatus")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)  # server messages are not markup
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusBar().addWidget(self.status_label, 1)

        self._page_loader = TaskRunner(self)
        self._page_loader.finished.connect(self._show_page)
        self._page_loader.failed.connect(self._show_error)

        self.refresh_action = QAction("&Refresh", self)
        self.refresh_action.setShortcuts(_refresh_shortcuts())
        self.refresh_action.setStatusTip("Load the artifacts again from the server")
        self.refresh_action.triggered.connect(self.refresh)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.menuBar().addMenu("&File").addAction(quit_action)
        self.menuBar().addMenu("&View").addAction(self.refresh_action)

        self.resize(1200, 700)
        self.refresh()

    def refresh(self) -> None:
        """Load the first page of artifacts again (a request still running is superseded)."""
        self.status_label.setText("Loading…")
        client = self._client  # the work runs on another thread: it gets the client, not the window

        def first_page(token: CancelToken) -> Page[Artifact]:
            return client.artifacts.get(page_length=PAGE_LENGTH, sort_by=SORT_BY, descending=DESCENDING)

        self._page_loader.start(first_page)

    def _show_page(self, page: Page[Artifact]) -> None:
        self.model.set_page(page)
        self._fit_columns()
        locale = QLocale()
        noun = "artifact" if page.total == 1 else "artifacts"
        self.status_label.setText(f"{locale.toString(len(page.items))} of {locale.toString(page.total)} {noun}")

    def _show_error(self, exc: BaseException) -> None:
        # Expected failures (the server said no, or could not be reached) are shown inline.
        if isinstance(exc, ApiError):
            log.warning("Loading artifacts failed: %s", exc)
            message = exc.message
        else:
            log.error("Unexpected failure while loading artifacts", exc_info=exc)
            message = f"Unexpected error: {exc}"
        self.status_label.setText(f"Could not load artifacts: {message}")

    def _fit_columns(self) -> None:
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        if header.sectionSize(Column.DESCRIPTION) > _MAX_DESCRIPTION_WIDTH:
            header.resizeSection(Column.DESCRIPTION, _MAX_DESCRIPTION_WIDTH)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self._page_loader.cancel()
        super().closeEvent(event)


def _refresh_shortcuts() -> list[QKeySequence]:
    """F5 everywhere, plus the platform's own refresh key where it differs (Cmd+R on macOS)."""
    shortcuts = [QKeySequence(Qt.Key.Key_F5)]
    shortcuts += [k for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Refresh) if k not in shortcuts]
    return shortcuts
