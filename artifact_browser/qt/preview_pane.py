"""The preview of one file: text, pretty JSON, a CSV as a table, or an image.

Bytes are fetched and the preview is prepared (JSON pretty-printed, CSV parsed,
image decoded) on a worker thread; the GUI thread only swaps a page in. Files
over the cap are fetched only when the user presses "Load anyway", and bytes
fetched once in a session come from the :class:`PreviewCache` afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QFontDatabase, QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from artifact_browser.api import ApiError, Artifact, ArtifactFile, DioptraClient, DownloadCancelled
from artifact_browser.api.artifacts import ContentTooLargeError
from artifact_browser.core.preview import (
    HARD_CAP,
    PREVIEW_CAP,
    Preview,
    PreviewCache,
    PreviewKind,
    cache_key,
    make_preview,
    too_large_reason,
)
from artifact_browser.core.units import format_size
from artifact_browser.qt.workers import CancelToken, TaskRunner

log = logging.getLogger(__name__)

_AnyIndex = QModelIndex | QPersistentModelIndex

# Small images are enlarged to fit, but not beyond this: a 8x8 icon blown up to
# the whole pane is a mosaic, not a preview.
_MAX_UPSCALE = 8


class Page(IntEnum):
    """The pages of the preview pane's stack."""

    MESSAGE = 0
    LOADING = 1
    TEXT = 2
    TABLE = 3
    IMAGE = 4


class CsvTableModel(QAbstractTableModel):
    """The head of a CSV file: a header row and rows of strings (ragged rows allowed)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._header: tuple[str, ...] = ()
        self._rows: tuple[tuple[str, ...], ...] = ()

    @property
    def header(self) -> tuple[str, ...]:
        return self._header

    @property
    def rows(self) -> tuple[tuple[str, ...], ...]:
        return self._rows

    def set_rows(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.beginResetModel()
        self._header = tuple(header)
        self._rows = tuple(tuple(r) for r in rows)
        self.endResetModel()

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._header)

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        row = self._rows[index.row()]
        return row[index.column()] if index.column() < len(row) else ""

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._header[section] if 0 <= section < len(self._header) else None
        return str(section + 1) if 0 <= section < len(self._rows) else None


@dataclass(frozen=True)
class _Request:
    """One file to preview: what identifies it and how far it may be read."""

    artifact: Artifact
    path: str | None  # inside a directory artifact; None for a single-file artifact
    name: str
    size: int | None  # as the listing says; None when unknown

    @property
    def key(self) -> tuple[int, int, str]:
        return cache_key(self.artifact.id, self.artifact.snapshot_id, self.path)


@dataclass(frozen=True)
class _Prepared:
    """A worker's answer: the preview, and the decoded image for an image preview."""

    request: _Request
    preview: Preview
    image: QImage | None
    from_cache: bool


class PreviewPane(QWidget):
    """Shows a preview of the selected file.

    Args:
        client: The signed-in client that fetches contents (may be set later).
        parent: The parent widget.
        cache: The session's cache of fetched bytes; a new one by default. Share
            one cache between panes (and with other readers) so nothing is
            fetched twice.
        cap: Files larger than this many bytes wait for "Load anyway".

    Signals:
        busy_changed(bool): Whether a fetch is in flight.
        preview_shown(object): The :class:`Preview` now on screen.
    """

    busy_changed = Signal(bool)
    preview_shown = Signal(object)

    def __init__(
        self,
        client: DioptraClient | None = None,
        parent: QWidget | None = None,
        *,
        cache: PreviewCache | None = None,
        cap: int = PREVIEW_CAP,
    ) -> None:
        super().__init__(parent)
        self._client = client
        self.cache = cache if cache is not None else PreviewCache()
        self.cap = cap
        self._request: _Request | None = None
        self._pixmap: QPixmap | None = None
        # What the message page's button fetches up to: HARD_CAP after "too large", the cap after a retry.
        self._action_limit = cap
        self._runner = TaskRunner(self)
        self._runner.finished.connect(self._on_prepared)
        self._runner.failed.connect(self._on_failed)
        self._runner.running_changed.connect(self.busy_changed)

        self.title_label = QLabel(self)
        self.title_label.setObjectName("previewTitle")
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.note_label = QLabel(self)
        self.note_label.setObjectName("previewNote")
        self.note_label.setTextFormat(Qt.TextFormat.PlainText)
        self.note_label.setWordWrap(True)
        self.note_label.hide()

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self._make_message_page())
        self.stack.addWidget(self._make_loading_page())
        self.text_view = QPlainTextEdit(self)
        self.text_view.setObjectName("previewText")
        self.text_view.setReadOnly(True)
        self.text_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.stack.addWidget(self.text_view)
        self.csv_model = CsvTableModel(self)
        self.table_view = QTableView(self)
        self.table_view.setObjectName("previewTable")
        self.table_view.setModel(self.csv_model)
        self.table_view.setAlternatingRowColors(True)
        self.table_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table_view.setWordWrap(False)
        self.table_view.verticalHeader().setDefaultSectionSize(self.table_view.fontMetrics().height() + 6)
        self.table_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.stack.addWidget(self.table_view)
        self.image_label = QLabel(self)
        self.image_label.setObjectName("previewImage")
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_scroll = QScrollArea(self)
        self.image_scroll.setWidget(self.image_label)
        self.image_scroll.setWidgetResizable(True)
        self.image_scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.image_scroll)

        # The labels get a little air; the stack's pages have their own frames.
        self.title_label.setContentsMargins(4, 2, 4, 2)
        self.note_label.setContentsMargins(4, 0, 4, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title_label)
        layout.addWidget(self.note_label)
        layout.addWidget(self.stack, 1)
        self.clear()

    def _make_message_page(self) -> QWidget:
        page = QWidget(self)
        self.message_label = QLabel(page)
        self.message_label.setObjectName("previewMessage")
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setWordWrap(True)
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action_button = QPushButton("Load anyway", page)
        self.action_button.setObjectName("previewAction")
        self.action_button.clicked.connect(self._action)
        box = QVBoxLayout(page)
        box.addStretch(1)
        box.addWidget(self.message_label)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.action_button)
        row.addStretch(1)
        box.addLayout(row)
        box.addStretch(1)
        return page

    def _make_loading_page(self) -> QWidget:
        page = QWidget(self)
        self.loading_label = QLabel(page)
        self.loading_label.setTextFormat(Qt.TextFormat.PlainText)
        self.loading_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        bar = QProgressBar(page)
        bar.setRange(0, 0)  # indeterminate: the server sends no length
        bar.setTextVisible(False)
        bar.setMaximumWidth(200)
        self.cancel_button = QPushButton("Cancel", page)
        self.cancel_button.setObjectName("previewCancel")
        self.cancel_button.clicked.connect(self.cancel)
        box = QVBoxLayout(page)
        box.addStretch(1)
        box.addWidget(self.loading_label)
        for widget in (bar, self.cancel_button):
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(widget)
            row.addStretch(1)
            box.addLayout(row)
        box.addStretch(1)
        return page

    # -- public -----------------------------------------------------------------------

    @property
    def page(self) -> Page:
        """Which page is on screen."""
        return Page(self.stack.currentIndex())

    @property
    def is_busy(self) -> bool:
        return self._runner.is_running

    def set_client(self, client: DioptraClient | None) -> None:
        self._client = client
        self.clear()

    def show_artifact(self, artifact: Artifact | None) -> None:
        """Preview a single-file artifact; a directory or None shows a hint instead."""
        if artifact is None:
            self.clear()
        elif artifact.is_dir:
            self.clear(f"{artifact.name} is a directory: choose a file in it to preview.")
            self.title_label.setText(artifact.name)
        else:
            self._show(_Request(artifact, None, artifact.name, artifact.file_size))

    def show_file(self, artifact: Artifact, artifact_file: ArtifactFile) -> None:
        """Preview a file inside a directory artifact (a folder shows a hint instead)."""
        name = artifact_file.relative_path.rsplit("/", 1)[-1]
        if artifact_file.is_dir:
            self.clear(f"{name} is a folder: choose a file in it to preview.")
            self.title_label.setText(artifact_file.relative_path + "/")
            return
        self._show(_Request(artifact, artifact_file.relative_path, name, artifact_file.file_size))

    def clear(self, message: str = "Select a file to preview it.") -> None:
        """Stop any fetch and show ``message``."""
        self._runner.cancel()
        self._request = None
        self._pixmap = None
        self.title_label.setText("")
        self.title_label.hide()
        self._set_note("")
        self._show_message(message)

    def cancel(self) -> None:
        """Stop the fetch in flight (the file can be previewed again later)."""
        if not self._runner.is_running:
            return
        self._runner.cancel()
        self._offer_retry("Preview cancelled.")

    def _action(self) -> None:
        if self._request is not None:
            self._fetch(self._request, limit=self._action_limit)

    # -- fetching -----------------------------------------------------------------------

    def _show(self, request: _Request) -> None:
        self._runner.cancel()
        self._request = request
        self._pixmap = None
        self.title_label.setText(self._title(request))
        self.title_label.show()
        self._set_note("")
        if request.key not in self.cache and request.size is not None:
            reason = too_large_reason(request.size, self.cap)
            if reason is not None:
                self._offer_load_anyway(reason, possible=request.size <= HARD_CAP)
                return
        self._fetch(request, limit=self.cap)

    def _fetch(self, request: _Request, *, limit: int) -> None:
        client, cache = self._client, self.cache
        if client is None and request.key not in cache:
            self._show_message("Not signed in.")
            return

        def work(token: CancelToken) -> _Prepared:
            data = cache.get(request.key)
            from_cache = data is not None
            if data is None:
                data = client.artifacts.read_contents(  # type: ignore[union-attr]
                    request.artifact, request.path, limit=limit, cancel=token
                )
                cache.put(request.key, data)
            preview = make_preview(request.name, data)
            image = None
            if preview.kind is PreviewKind.IMAGE:
                # QImage (unlike QPixmap) may be decoded off the GUI thread.
                image = QImage.fromData(data)
                if image.isNull():
                    preview = Preview(
                        PreviewKind.NONE, request.name, len(data), reason=f"The {preview.image_format} image could not be decoded."
                    )
                    image = None
            return _Prepared(request, preview, image, from_cache)

        self.loading_label.setText(f"Loading {request.name}…")
        self.stack.setCurrentIndex(Page.LOADING)
        self._runner.start(work)

    def _on_prepared(self, prepared: _Prepared) -> None:
        if prepared.request != self._request:
            return
        preview = prepared.preview
        self.title_label.setText(self._title(prepared.request, preview, prepared.image))
        self._set_note(preview.note)
        if preview.kind in (PreviewKind.TEXT, PreviewKind.JSON):
            self.text_view.setPlainText(preview.text)
            self.stack.setCurrentIndex(Page.TEXT)
        elif preview.kind is PreviewKind.CSV:
            self.csv_model.set_rows(preview.header, preview.rows)
            self._fit_table_columns()
            self.stack.setCurrentIndex(Page.TABLE)
        elif preview.kind is PreviewKind.IMAGE and prepared.image is not None:
            self._pixmap = QPixmap.fromImage(prepared.image)
            self.stack.setCurrentIndex(Page.IMAGE)
            self._fit_image()
        else:
            self._show_message(preview.reason)
        self.preview_shown.emit(preview)

    def _on_failed(self, exc: BaseException) -> None:
        request = self._request
        if isinstance(exc, ContentTooLargeError):
            # The listing did not give a size (or gave a wrong one): the cap was met while reading.
            if exc.limit >= HARD_CAP:
                self._show_message(f"Too large to preview: more than {format_size(exc.limit)}. Download it to open it.")
            else:
                self._offer_load_anyway(
                    f"Too large to preview: more than {format_size(exc.limit)}, previews are capped at {format_size(self.cap)}."
                )
        elif isinstance(exc, DownloadCancelled):
            self._offer_retry("Preview cancelled.")
        elif isinstance(exc, ApiError):
            log.warning("Preview of %s failed: %s", request.name if request else "?", exc)
            self._offer_retry(f"Could not load the preview: {exc.message}")
        else:
            log.error("Unexpected failure while preparing a preview", exc_info=exc)
            self._show_message(f"Could not show the preview: unexpected error: {exc}")

    # -- showing ------------------------------------------------------------------------

    def _show_message(self, text: str, *, action: str | None = None) -> None:
        self.message_label.setText(text)
        self.action_button.setText(action or "")
        self.action_button.setVisible(action is not None)
        self.stack.setCurrentIndex(Page.MESSAGE)

    def _offer_load_anyway(self, text: str, *, possible: bool = True) -> None:
        self._action_limit = HARD_CAP
        self._show_message(text, action="Load anyway" if possible else None)

    def _offer_retry(self, text: str) -> None:
        self._action_limit = self.cap
        self._show_message(text, action="Try again" if self._request is not None else None)

    def _set_note(self, text: str) -> None:
        self.note_label.setText(text)
        self.note_label.setVisible(bool(text))

    def _title(self, request: _Request, preview: Preview | None = None, image: QImage | None = None) -> str:
        size = request.size if request.size is not None else (preview.size if preview else None)
        parts = [request.path or request.name]
        if size is not None:
            parts.append(format_size(size))
        if preview is not None and image is not None and preview.image_format:
            parts.append(f"{preview.image_format.upper()} image, {image.width()} × {image.height()}")
        elif preview is not None and preview.kind is PreviewKind.CSV:
            parts.append(f"CSV, {len(preview.header)} columns")
        elif preview is not None and preview.kind is PreviewKind.JSON:
            parts.append("JSON")
        return " · ".join(parts)

    def _fit_table_columns(self) -> None:
        # Sized from the first rows only: measuring 1,000 rows costs more than it tells.
        header = self.table_view.horizontalHeader()
        metrics = self.table_view.fontMetrics()
        sample = self.csv_model.rows[:50]
        for column in range(self.csv_model.columnCount()):
            texts = [self.csv_model.header[column]] + [r[column] for r in sample if column < len(r)]
            width = max(metrics.horizontalAdvance(t) for t in texts) + 16
            header.resizeSection(column, min(max(width, 40), 300))

    def _fit_image(self) -> None:
        if self._pixmap is None or self._pixmap.isNull():
            return
        area = self.image_scroll.viewport().size()
        source = self._pixmap.size()
        target = source.scaled(area, Qt.AspectRatioMode.KeepAspectRatio)
        upscale = target.width() > source.width()
        if upscale:
            target = target.boundedTo(QSize(source.width() * _MAX_UPSCALE, source.height() * _MAX_UPSCALE))
        mode = Qt.TransformationMode.FastTransformation if upscale else Qt.TransformationMode.SmoothTransformation
        self.image_label.setPixmap(
            self._pixmap.scaled(target, Qt.AspectRatioMode.KeepAspectRatio, mode) if target != source else self._pixmap
        )
        self.image_label.setToolTip(f"{source.width()} × {source.height()} pixels")

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.page is Page.IMAGE:
            self._fit_image()
