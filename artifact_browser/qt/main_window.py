"""The main window: groups and jobs on the left, the artifact table in the centre,
details, files and preview on the right.

The window only arranges and connects the pieces; each piece does its own work
off the GUI thread through a :class:`~artifact_browser.qt.workers.TaskRunner`.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QItemSelectionModel, QLocale, QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QSplitter,
    QTableView,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from artifact_browser.api import Artifact, DioptraClient
from artifact_browser.core.transfers import DestinationBusyError, TransferHistory, TransferManager
from artifact_browser.qt.artifact_pager import ArtifactPager, ArtifactQuery, PageInfo, Scope, ScopeKind
from artifact_browser.qt.artifact_table_model import ArtifactTableModel, Column, Role
from artifact_browser.qt.details_pane import DetailsPane, full_file_url
from artifact_browser.qt.download_dialog import DownloadDialog
from artifact_browser.qt.drag_out import DragOut, artifact_items, file_tree_items
from artifact_browser.qt.error_dialog import show_unexpected_error
from artifact_browser.qt.file_tree_view import FileTreeView
from artifact_browser.qt.group_job_tree_model import GroupJobTreeModel, TreeRole
from artifact_browser.qt.pager_bar import PagerBar
from artifact_browser.qt.preview_pane import PreviewPane
from artifact_browser.qt.register_dialog import RegisterDialog
from artifact_browser.qt.search_box import SearchBox
from artifact_browser.qt.settings import Settings, SortOrder
from artifact_browser.qt.transfer_panel import TransferPanel
from artifact_browser.qt.workers import TaskRunner

log = logging.getLogger(__name__)

APP_TITLE = "Artifact Browser"
LOADING = "Loading…"
# Arrowing through the table should not start a preview download per row passed.
_SIDE_PANEL_DELAY_MS = 150
# How long closing the window waits for running transfers to stop and record it.
_TRANSFER_STOP_WAIT_S = 5.0
# Long descriptions would push every other column out of sight.
_MAX_DESCRIPTION_WIDTH = 320


class MainWindow(QMainWindow):
    """The artifact browser's window for one signed-in :class:`DioptraClient`.

    Args:
        client: A client whose session is already signed in.
        settings: Where layout, page size, sort and search are remembered; the
            user's settings file by default (tests pass one on a temporary file).
        parent: The parent widget, if any.
    """

    def __init__(self, client: DioptraClient, settings: Settings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self.settings = settings if settings is not None else Settings()
        # An artifact to select when the next page arrives (after a registration or an edit).
        self._reveal_id: int | None = None
        username = client.session.username or "(not signed in)"
        self.setWindowTitle(f"{APP_TITLE} — {username} @ {client.address}")

        self._build_centre()
        self._build_left()
        self._build_right()
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_splitter.setObjectName("mainSplitter")
        for widget, stretch in ((self.tree, 0), (self._centre, 1), (self.side_splitter, 0)):
            self.main_splitter.addWidget(widget)
            self.main_splitter.setStretchFactor(self.main_splitter.indexOf(widget), stretch)
        self.main_splitter.setSizes([300, 800, 400])
        self.setCentralWidget(self.main_splitter)
        self._build_transfers()

        # A label rather than showMessage(): menu status tips clear the message on hover,
        # but only hide a label for as long as they are shown.
        self.status_label = QLabel(self)
        self.status_label.setObjectName("loadStatus")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)  # server messages are not markup
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusBar().addWidget(self.status_label, 1)

        self._build_actions()
        self._connect()
        self._restore_settings()
        self.tree_model.reload()

    # -- building -----------------------------------------------------------------------

    def _build_centre(self) -> None:
        self.model = ArtifactTableModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("artifactTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # URIs differ at both ends
        self.table.setSortingEnabled(False)  # the pager owns the header: sorting happens on the server
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.verticalHeader().hide()
        # One line of text per row with a little air: a page of 100 should not need a long scroll.
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        _set_default_column_widths(self.table)

        self.pager = ArtifactPager(self._client, self.model, self)
        self.pager.attach_header(header)
        self.search = SearchBox(self)
        self.pager_bar = PagerBar(self.pager, self)

        self._centre = QWidget(self)
        layout = QVBoxLayout(self._centre)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.pager_bar)

    def _build_left(self) -> None:
        self.tree_model = GroupJobTreeModel(self._client, self)
        self.tree = QTreeView(self)
        self.tree.setObjectName("groupJobTree")
        self.tree.setModel(self.tree_model)
        self.tree.setUniformRowHeights(True)
        self.tree.setHeaderHidden(False)
        self.tree.header().setStretchLastSection(True)
        # Room for "#123 description" beside the status; the experiment column takes the rest.
        self.tree.setColumnWidth(0, self.tree.fontMetrics().horizontalAdvance("#0000 a job description") + 40)
        self.tree.setColumnWidth(1, self.tree.fontMetrics().horizontalAdvance("deferred") + 16)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def _build_right(self) -> None:
        self.details = DetailsPane(self._client.address, self, client=self._client)
        self.files = FileTreeView(self._client, self)
        self.files.hide()  # only directory artifacts have files to browse
        self.preview = PreviewPane(self._client, self)
        self.side_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.side_splitter.setObjectName("sideSplitter")
        for widget in (self.details, self.files, self.preview):
            self.side_splitter.addWidget(widget)
        self.side_splitter.setSizes([320, 260, 260])
        self._side_timer = QTimer(self)
        self._side_timer.setSingleShot(True)
        self._side_timer.setInterval(_SIDE_PANEL_DELAY_MS)
        self._side_timer.timeout.connect(self._show_current_in_side_panels)

    def _build_transfers(self) -> None:
        history = TransferHistory()
        self.transfers = TransferManager(
            self._client, max_parallel=self.settings.max_parallel_transfers(), history=history
        )
        self.transfer_panel = TransferPanel(self.transfers, self, settings=self.settings)
        if history.warning:
            self.transfer_panel.set_warning(history.warning)
        self.transfers_dock = QDockWidget("Transfers", self)
        self.transfers_dock.setObjectName("transfersDock")  # so saveState() keeps its place
        self.transfers_dock.setWidget(self.transfer_panel)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.transfers_dock)
        if not self.transfers.transfers():
            self.transfers_dock.hide()  # shown with the first download

    def _build_actions(self) -> None:
        self.refresh_action = _action(self, "&Refresh", self.refresh, "Load the artifacts and groups again from the server")
        self.refresh_action.setShortcuts(_refresh_shortcuts())
        self.copy_id_action = _action(self, "Copy &ID", self.copy_ids, "Copy the IDs of the selected artifacts")
        self.copy_id_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_uri_action = _action(self, "Copy &URI", self.copy_uris, "Copy the URIs of the selected artifacts")
        self.copy_uri_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.copy_link_action = _action(self, "Copy &link", self.copy_links, "Copy the download links of the selected artifacts")
        self.copy_link_action.setShortcut(QKeySequence("Ctrl+Alt+C"))
        self.open_details_action = _action(self, "Open &details", self.open_details, "Show the files or the preview of the artifact")
        self.download_action = _action(self, "&Download…", self.download_selected, "Download the selected artifacts")
        self.download_action.setShortcut(QKeySequence.StandardKey.Save)
        self.edit_action = _action(self, "&Edit artifact…", self.edit_current, "Edit the description and task of the current artifact")
        self.register_action = _action(
            self, "&Register artifact…", lambda: self.register_artifact(), "Register a file or folder that a job's MLflow run logged"
        )
        self.register_action.setShortcut(QKeySequence.StandardKey.New)
        self.edit_action.setShortcut(QKeySequence("F2"))
        for action in (self.copy_id_action, self.copy_uri_action, self.copy_link_action, self.open_details_action, self.edit_action):
            # Shortcuts of the table's own, so Ctrl+C in the search box still copies text.
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.table.addAction(action)
        self.addAction(self.refresh_action)
        self.addAction(self.download_action)
        self.addAction(self.register_action)
        self.addAction(self.search.focus_action)
        quit_action = _action(self, "&Quit", self.close, "Close the window")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)

        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.register_action)
        file_menu.addAction(self.download_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        edit_menu = self.menuBar().addMenu("&Edit")
        for action in (self.copy_id_action, self.copy_uri_action, self.copy_link_action):
            edit_menu.addAction(action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.edit_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.search.focus_action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.refresh_action)
        view_menu.addAction(self.open_details_action)
        view_menu.addAction(self.transfers_dock.toggleViewAction())
        go_menu = self.menuBar().addMenu("&Go")
        for action in (
            self.pager_bar.first_action,
            self.pager_bar.previous_action,
            self.pager_bar.next_action,
            self.pager_bar.last_action,
        ):
            go_menu.addAction(action)

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolBar")  # so saveState() keeps its place
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (self.refresh_action, self.download_action, self.register_action, self.edit_action):
            toolbar.addAction(action)

    def _connect(self) -> None:
        self.search.search_requested.connect(self.pager.set_search)
        self.pager.search_error.connect(self.search.show_error)
        self.pager.busy_changed.connect(self._on_busy)
        self.pager.page_changed.connect(self._on_page)
        self.pager.error.connect(self.status_label.setText)
        self.pager.notice.connect(self.status_label.setText)
        self.pager.unexpected_error.connect(self._on_unexpected_error)
        # The tree shows its own failures in place (with a retry row); the status
        # line stays about the table, so two failures never overwrite each other.
        self.tree.selectionModel().currentChanged.connect(self._on_tree_current)
        self.tree.activated.connect(self.tree_model.activate)
        self.tree.customContextMenuRequested.connect(self._show_tree_menu)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._side_timer.start())
        self.model.modelReset.connect(self._side_timer.start)
        self.table.activated.connect(lambda _index: self.open_details())
        self.table.customContextMenuRequested.connect(self._show_table_menu)
        self.details.job_activated.connect(self.show_job)
        self.details.download_requested.connect(lambda snapshot: self._open_download_dialog([snapshot]))
        self.details.artifact_changed.connect(self._on_artifact_edited)
        # Rows of the table and files or folders of the tree can be dragged onto a file manager.
        self.drag_out = DragOut(self.transfers, self._client, self)
        self.drag_out.enable(self.table, lambda: artifact_items(self.selected_artifacts()))
        self.files.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)  # several at once
        self.drag_out.enable(self.files.tree, lambda: file_tree_items(self.files))
        self.drag_out.message.connect(self.status_label.setText)
        self.drag_out.transfers_queued.connect(lambda _count: self.transfers_dock.show())
        self.files.file_selected.connect(self.preview.show_file)
        self.files.folder_selected.connect(lambda *_: self.preview.clear("Select a file to preview it."))

    # -- settings -----------------------------------------------------------------------

    def _restore_settings(self) -> None:
        settings = self.settings
        if not settings.restore_window(self):
            self._resize_for_first_start()
        settings.restore_splitter("main", self.main_splitter)
        settings.restore_splitter("side", self.side_splitter)
        settings.restore_header("artifacts", self.table.horizontalHeader())
        order = settings.sort_order()
        # The box gets back what the user typed; the pager the query that text stands for
        # ("" if it no longer passes the check).
        self.search.set_text(settings.last_search())
        search = self.search.last_query
        self.pager.restore(
            ArtifactQuery(page_size=settings.page_size(), sort_key=order.key, descending=order.descending, search=search)
        )

    def _resize_for_first_start(self) -> None:
        # Three panes need room: most of the screen, but not a wall-sized window.
        screen = self.screen().availableGeometry()
        self.resize(min(1500, int(screen.width() * 0.85)), min(950, int(screen.height() * 0.85)))

    def _save_settings(self) -> None:
        settings = self.settings
        settings.save_window(self)
        settings.save_splitter("main", self.main_splitter)
        settings.save_splitter("side", self.side_splitter)
        settings.save_header("artifacts", self.table.horizontalHeader())
        query = self.pager.query
        settings.set_page_size(query.page_size)
        settings.set_sort_order(SortOrder(query.sort_key, query.descending))
        # The text as typed, not the query built from it: plain words would come back quoted.
        settings.set_last_search(self.search.text)
        settings.sync()

    # -- actions ------------------------------------------------------------------------

    def refresh(self) -> None:
        """Load the current page and the group/job tree again from the server."""
        self.status_label.setText(LOADING)
        self.pager.refresh()
        self.tree_model.reload()

    def selected_artifacts(self) -> list[Artifact]:
        """The artifacts of the selected rows, in table order."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [self.model.artifact(row) for row in rows]

    def copy_ids(self) -> None:
        self._copy([str(a.id) for a in self.selected_artifacts()], "ID")

    def copy_uris(self) -> None:
        self._copy([a.artifact_uri for a in self.selected_artifacts()], "URI")

    def copy_links(self) -> None:
        self._copy([full_file_url(self._client.address, a.file_url) for a in self.selected_artifacts()], "link")

    def open_details(self) -> None:
        """Bring the current artifact's files (directory) or preview (file) forward."""
        artifact = self._current_artifact()
        if artifact is None:
            return
        if self._side_timer.isActive() or self.details.artifact != artifact:
            # Only when the panels do not show it yet: showing it again would fetch the
            # listing anew and lose the file the user chose in the tree.
            self._side_timer.stop()
            self._show_current_in_side_panels()
        (self.files.tree if artifact.is_dir else self.preview).setFocus()

    def download_selected(self) -> None:
        """Ask where and how to download the selected artifacts, then queue the transfers.

        With the file tree focused, the file or folder chosen there is preselected.
        """
        artifacts = self.selected_artifacts()
        if not artifacts:
            self.status_label.setText("Select the artifacts to download first.")
            return
        preselected = None
        if self.files.isVisible() and self.files.tree.hasFocus() and self.files.current_file() is not None:
            preselected = self.files.current_file().relative_path
        self._open_download_dialog(artifacts, preselected)

    def _open_download_dialog(self, artifacts: list[Artifact], preselected: str | None = None) -> None:
        """The download dialog for ``artifacts`` (an older snapshot downloads that snapshot)."""
        dialog = DownloadDialog(self._client, artifacts, self.settings, self, preselected_path=preselected)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._queue_downloads(dialog.requests()))
        dialog.open()

    def edit_current(self) -> None:
        """Edit the current artifact's description and task (in a dialog from the details pane)."""
        if self._current_artifact() is None:
            self.status_label.setText("Select the artifact to edit first.")
            return
        self._side_timer.stop()
        if self.details.artifact != self._current_artifact():
            self._show_current_in_side_panels()
        self.details.edit()

    def register_artifact(self, *, group_id: int | None = None, job_id: int | None = None) -> RegisterDialog:
        """Open the registration form; without a group or job, those the tree has chosen are filled in."""
        if group_id is None and job_id is None:
            group_id, job_id = self._tree_choice(self.tree.currentIndex())
        dialog = RegisterDialog(self._client, self, group_id=group_id, job_id=job_id)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.registered.connect(self._on_registered)
        dialog.open()
        return dialog

    def reveal_artifact(self, artifact_id: int) -> None:
        """Load the current listing again and select ``artifact_id`` in it when it is there."""
        self._reveal_id = artifact_id
        self.pager.refresh()

    def _queue_downloads(self, requests) -> None:
        queued, refused = 0, []
        for request in requests:
            try:
                self.transfers.submit(request)
                queued += 1
            except DestinationBusyError as exc:
                refused.append(str(exc))
        if queued:
            self.transfers_dock.show()
        message = f"Queued {queued} download{'s' if queued != 1 else ''}." if queued else ""
        self.status_label.setText(" ".join([message, *refused]).strip())

    def show_job(self, job_id: int) -> None:
        """Show a job's artifacts, selecting the job in the tree when it is listed there."""
        index = self.tree_model.index_for_job(job_id)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)
        else:
            # Nothing in the tree stands for these rows: unselect it, so that choosing any
            # row there again (even the one that was current) changes the table.
            self.tree.selectionModel().clear()
            self.pager.set_scope(Scope.job(job_id))
            if not self.pager.is_busy:  # shown from the cache at once: _on_page has spoken
                return
            self.status_label.setText(f"Loading the artifacts of job {job_id}…")

    # -- slots --------------------------------------------------------------------------

    def _on_tree_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        scope = self.tree_model.scope_at(current)
        if scope is not None:
            self.pager.set_scope(scope)

    def _on_busy(self, busy: bool) -> None:
        if busy:
            self.status_label.setText(LOADING)

    def _on_page(self, info: PageInfo) -> None:
        locale = QLocale()
        text = f"{locale.toString(info.rows)} of {locale.toString(info.total)} artifacts"
        scope = self.pager.query.scope
        if scope.kind is ScopeKind.JOB and self.tree_model.scope_at(self.tree.currentIndex()) != scope:
            # Only the status bar can say where the rows come from (a job not loaded in the tree).
            text += f" of job {scope.id}"
        self.status_label.setText(text)
        if self._select_revealed():
            return
        if not self.table.currentIndex().isValid() and self.model.rowCount():
            # Keyboard users land on the first row, ready for the arrow keys.
            self.table.selectionModel().setCurrentIndex(
                self.model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            )

    def _on_registered(self, artifact: Artifact) -> None:
        # The job's listing shows the new row (newest first); a cached page would lack it.
        if artifact.job_id is not None:
            self.show_job(artifact.job_id)
        self.reveal_artifact(artifact.id)
        self.status_label.setText(f"Registered artifact {artifact.id} ({artifact.name}).")

    def _on_artifact_edited(self, artifact: Artifact) -> None:
        # The table still holds the artifact as it was; the pane must not get that back.
        self.status_label.setText(f"Saved artifact {artifact.id} (a new snapshot, {artifact.snapshot_id}).")
        self.reveal_artifact(artifact.id)

    def _select_revealed(self) -> bool:
        """Select the artifact :meth:`reveal_artifact` asked for, if this page shows it."""
        wanted, self._reveal_id = self._reveal_id, None
        if wanted is None:
            return False
        row = next((r for r in range(self.model.rowCount()) if self.model.artifact(r).id == wanted), None)
        if row is None:
            self.status_label.setText(f"Artifact {wanted} is not on this page of the table.")
            return False
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def _on_unexpected_error(self, exc: object) -> None:
        show_unexpected_error("Could not load the artifacts.", exc if isinstance(exc, BaseException) else str(exc), self)

    def _current_artifact(self) -> Artifact | None:
        index = self.table.currentIndex()
        return index.data(Role.ARTIFACT) if index.isValid() else None

    def _show_current_in_side_panels(self) -> None:
        artifact = self._current_artifact()
        self.details.show_artifact(artifact)
        if artifact is not None and artifact.is_dir:
            self.files.show()
            self._give_room_to_files()
            self.files.show_artifact(artifact)
            self.preview.clear("Select a file in the file tree to preview it.")
        else:
            self.files.hide()
            self.files.show_artifact(None)
            if artifact is None:
                self.preview.clear()
            else:
                self.preview.show_artifact(artifact)

    def _give_room_to_files(self) -> None:
        """Give the file tree a third of the side panel when it has none.

        A splitter saved while the tree was hidden (the last artifact a file)
        restores it at height 0: shown again, it would stay out of sight.
        """
        sizes = self.side_splitter.sizes()
        if sizes[1] > 0:
            return
        total = sum(sizes)
        tree = total // 3
        rest = total - tree
        details = rest * sizes[0] // max(1, sizes[0] + sizes[2])
        self.side_splitter.setSizes([details, tree, rest - details])

    def _show_table_menu(self, position) -> None:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one menu per right click, not one more child each time
        for action in (self.copy_id_action, self.copy_uri_action, self.copy_link_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.download_action)
        menu.addAction(self.edit_action)
        menu.addAction(self.open_details_action)
        menu.addAction(self.refresh_action)
        menu.popup(self.table.viewport().mapToGlobal(position))

    def _tree_choice(self, index: QModelIndex) -> tuple[int | None, int | None]:
        """The group id and job id a tree row stands for (None where it names none)."""
        if not index.isValid():
            return None, None
        group, job = index.data(TreeRole.GROUP), index.data(TreeRole.JOB)
        return (group.id if group is not None else None), (job.id if job is not None else None)

    def _show_tree_menu(self, position) -> None:
        group_id, job_id = self._tree_choice(self.tree.indexAt(position))
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        text = f"Register artifact for job {job_id}…" if job_id is not None else "Register artifact…"
        menu.addAction(text, lambda: self.register_artifact(group_id=group_id, job_id=job_id))
        menu.addSeparator()
        menu.addAction(self.refresh_action)
        menu.popup(self.tree.viewport().mapToGlobal(position))

    def _copy(self, lines: list[str], what: str) -> None:
        if not lines:
            return
        QGuiApplication.clipboard().setText("\n".join(lines))
        self.status_label.setText(f"Copied {len(lines)} {what}{'s' if len(lines) > 1 else ''}.")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self._save_settings()
        # Answers that arrive after the window is gone have nowhere to go, and no
        # panel may start a request any more.
        self._side_timer.stop()
        self.pager.cancel()
        for runner in self.findChildren(TaskRunner):
            runner.cancel()
        # Running transfers stop and are kept in the history as interrupted, ready to retry.
        # The window goes first, so a transfer slow to stop (a request to a silent
        # server) delays only the exit, and never by more than a few seconds.
        self.hide()
        # Before the shutdown, which writes the history for the last time: the drags'
        # finished downloads must not be in it (their staged files go at the next start).
        self.drag_out.close()
        self.transfers.shutdown(wait=True, timeout=_TRANSFER_STOP_WAIT_S)
        self.transfer_panel.model.detach()
        super().closeEvent(event)


def _action(parent: QWidget, text: str, slot, tip: str) -> QAction:
    action = QAction(text, parent)
    action.setStatusTip(tip)
    action.triggered.connect(slot)
    return action


def _set_default_column_widths(table: QTableView) -> None:
    # Fixed starting widths instead of resizeColumnsToContents(), which measures
    # every cell on the GUI thread each time a page arrives (about 35 ms per 100
    # rows here); the user's own widths are restored from the settings.
    metrics = table.fontMetrics()
    widths = {
        Column.ID: metrics.horizontalAdvance("000000") + 12,
        Column.DESCRIPTION: _MAX_DESCRIPTION_WIDTH,
        Column.JOB: metrics.horizontalAdvance("00000") + 12,
        Column.TASK: metrics.horizontalAdvance("save_model") + 16,
        Column.TYPE: metrics.horizontalAdvance("Directory") + 16,
        Column.SIZE: metrics.horizontalAdvance("1023.9 MiB") + 16,
        Column.CREATED: metrics.horizontalAdvance("2026-11-27 19:13") + 16,
        Column.LAST_MODIFIED: metrics.horizontalAdvance("2026-11-27 19:13") + 16,
    }
    for column, width in widths.items():
        table.setColumnWidth(column, width)


def _refresh_shortcuts() -> list[QKeySequence]:
    """F5 everywhere, plus the platform's own refresh key where it differs (Cmd+R on macOS)."""
    shortcuts = [QKeySequence(Qt.Key.Key_F5)]
    platform = QKeySequence(QKeySequence.StandardKey.Refresh)
    if not platform.isEmpty() and platform not in shortcuts:
        shortcuts.append(platform)
    return shortcuts
