"""The plugin / plugin snapshot / artifact task picker shared by the register form and the editor.

An artifact may name the artifact task that (de)serialises it. The server wants
that as a pair, ``pluginSnapshotId`` + ``taskId``, and refuses one without the
other; the task must belong to that very snapshot (task ids change whenever the
plugin file is edited). The picker therefore offers three linked choices, each
with a "(none)" entry, and says in words what is missing while a choice is half
made.

Everything comes from the server through :class:`~artifact_browser.qt.workers.TaskRunner`;
a failed load is shown inside the picker, never in a dialog.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from artifact_browser.api import ApiError, DioptraClient, Plugin, PluginTask
from artifact_browser.qt.artifact_table_model import format_datetime
from artifact_browser.qt.error_dialog import show_unexpected_error
from artifact_browser.qt.field_note import ERROR_STYLE
from artifact_browser.qt.workers import TaskRunner

log = logging.getLogger(__name__)

NONE_ENTRY = "(none)"
LOADING = "Loading…"
LATEST_MARK = "latest"

PROBLEM_PLUGIN_ONLY = (
    "Choose a plugin snapshot and an artifact task, or set the plugin back to (none): "
    "the server accepts a plugin snapshot only together with an artifact task."
)
PROBLEM_NO_TASK = (
    "Choose an artifact task of this plugin snapshot, or set the plugin back to (none): "
    "the server refuses a plugin snapshot without an artifact task."
)
PROBLEM_SNAPSHOT_WITHOUT_TASKS = (
    "Plugin snapshot {snapshot} has no artifact tasks: choose another snapshot, or set the plugin "
    "back to (none) (the server needs a task together with a snapshot)."
)
PROBLEM_LOADING = "Still loading the plugin's snapshots from the server."


class TaskPicker(QWidget):
    """Three linked combo boxes: plugin, plugin snapshot, artifact task.

    Nothing is loaded until :meth:`set_group` (the plugins to offer) or
    :meth:`set_current` (a choice to show) is called.

    Args:
        client: A signed-in client; only used on worker threads.
        parent: The parent widget.

    Signals:
        changed(): The choice, the offered entries or the loading state changed;
            read :meth:`selection`, :meth:`problem` and :meth:`is_loading` again.
    """

    changed = Signal()

    def __init__(self, client: DioptraClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("taskPicker")
        self._client = client
        self._group_id: int | None = None
        self._plugins: dict[int, Plugin] = {}  # id -> latest snapshot, as listed for the group
        self._pinned: Plugin | None = None  # a plugin set by set_current that the group listing may lack
        self._pinned_id: int | None = None
        self._snapshots: list[Plugin] = []  # of the chosen plugin, newest first
        self._snapshots_of: int | None = None  # the plugin the snapshot list belongs to
        self._pending: tuple[int | None, int | None] | None = None  # set_current's snapshot and task, until loaded
        self._filling = False  # True while the picker itself changes the combos
        self._user_chose = False  # the user has changed the choice since set_current

        self.plugin_combo = self._combo("pluginCombo", "The plugin whose artifact task reads and writes this artifact")
        self.snapshot_combo = self._combo(
            "snapshotCombo", "The version of the plugin; its task ids belong to this version only"
        )
        self.task_combo = self._combo("taskCombo", "The artifact task that (de)serialises this artifact")

        self.message_label = QLabel(self)
        self.message_label.setObjectName("taskPickerMessage")
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QToolButton(self)
        self.retry_button.setObjectName("taskPickerRetry")
        self.retry_button.setText("Retry")
        self.retry_button.clicked.connect(self._retry)
        message_row = QWidget(self)
        message_box = QHBoxLayout(message_row)
        message_box.setContentsMargins(0, 0, 0, 0)
        message_box.addWidget(self.message_label, 1)
        message_box.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignTop)
        self._message_row = message_row

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        for column, (text, combo) in enumerate(
            (("Plugin", self.plugin_combo), ("Snapshot", self.snapshot_combo), ("Artifact task", self.task_combo))
        ):
            label = QLabel(text, self)
            label.setBuddy(combo)
            grid.addWidget(label, 0, column)
            grid.addWidget(combo, 1, column)
            grid.setColumnStretch(column, 1)
        grid.addWidget(message_row, 2, 0, 1, 3)
        grid.setRowStretch(3, 1)  # extra height goes below, so the labels stay on their combos

        self._plugins_runner = TaskRunner(self)
        self._plugins_runner.finished.connect(self._on_plugins_loaded)
        self._plugins_runner.failed.connect(lambda exc: self._on_failed("the plugins", exc))
        self._plugins_runner.running_changed.connect(self._on_running_changed)
        self._snapshots_runner = TaskRunner(self)
        self._snapshots_runner.finished.connect(self._on_snapshots_loaded)
        self._snapshots_runner.failed.connect(lambda exc: self._on_failed("the plugin's snapshots", exc))
        self._snapshots_runner.running_changed.connect(self._on_running_changed)

        self.plugin_combo.currentIndexChanged.connect(self._on_plugin_chosen)
        self.snapshot_combo.currentIndexChanged.connect(self._on_snapshot_chosen)
        self.task_combo.currentIndexChanged.connect(self._on_task_chosen)
        self._last_failed: str | None = None
        self._message_of: str | None = None  # the load whose failure the message tells of
        self._fill_plugins()
        self._fill_snapshots()
        self._fill_tasks()  # "(none)" from the start, not an empty box
        self._set_message("")

    # -- the interface ----------------------------------------------------------------

    def set_group(self, group_id: int | None) -> None:
        """Offer the plugins of ``group_id`` (of every group when None).

        The chosen plugin is kept if the new listing still offers it (or if it
        was set by :meth:`set_current`).
        """
        self._group_id = group_id
        self._load_plugins()

    def set_current(self, plugin_id: int | None, plugin_snapshot_id: int | None, task_id: int | None) -> None:
        """Show a choice made earlier (an artifact's task), loading what it needs.

        Works for a plugin of any group: it is added to the plugin list if the
        group listing lacks it. All None chooses "(none)" everywhere.
        """
        self._pinned_id = plugin_id
        self._pinned = None
        self._user_chose = False
        if plugin_id is None:
            self._pending = None
            self._snapshots_runner.cancel()
            self._fill_plugins(chosen=None)
            self._set_snapshots(None, [])
            self.changed.emit()
            return
        self._pending = (plugin_snapshot_id, task_id)
        self._fill_plugins(chosen=plugin_id)
        self._load_snapshots(plugin_id)
        self.changed.emit()

    def selection(self) -> tuple[int, int] | None:
        """``(plugin_snapshot_id, task_id)`` when all three are chosen; None otherwise."""
        if self._pending is not None:
            return None
        snapshot_id, task_id = self.snapshot_combo.currentData(), self.task_combo.currentData()
        if self.plugin_combo.currentData() is None or snapshot_id is None or task_id is None:
            return None
        return int(snapshot_id), int(task_id)

    def user_has_chosen(self) -> bool:
        """True once the user has changed the choice shown by :meth:`set_current` (even back again).

        Until then the picker stands for that earlier choice, even while it is
        still loading or could not load it: an editor leaves the task alone.
        """
        return self._user_chose

    def is_none(self) -> bool:
        """True when no plugin is chosen (the artifact gets no task)."""
        return self.plugin_combo.currentData() is None and self._pending is None

    def problem(self) -> str | None:
        """None when the choice can be sent (all three chosen, or none); else what is missing and why."""
        if self._pending is not None:
            return PROBLEM_LOADING
        if self.plugin_combo.currentData() is None:
            return None
        snapshot = self.current_snapshot()
        if snapshot is None:
            # Only the snapshots can still bring one (the plugin list may be loading for other reasons).
            if self._snapshots_runner.is_running and self._snapshots_of == self.plugin_combo.currentData():
                return PROBLEM_LOADING
            return PROBLEM_PLUGIN_ONLY
        if self.task_combo.currentData() is None:
            if not snapshot.artifact_tasks:
                return PROBLEM_SNAPSHOT_WITHOUT_TASKS.format(snapshot=snapshot.snapshot_id)
            return PROBLEM_NO_TASK
        return None

    def is_loading(self) -> bool:
        """True while plugins or snapshots are being fetched."""
        return self._plugins_runner.is_running or self._snapshots_runner.is_running

    def current_plugin_id(self) -> int | None:
        """The chosen plugin's id, or None."""
        data = self.plugin_combo.currentData()
        return None if data is None else int(data)

    def current_snapshot(self) -> Plugin | None:
        """The chosen plugin snapshot (with its artifact tasks), or None."""
        snapshot_id = self.snapshot_combo.currentData()
        return next((s for s in self._snapshots if s.snapshot_id == snapshot_id), None)

    def current_task(self) -> PluginTask | None:
        """The chosen artifact task, or None."""
        snapshot, task_id = self.current_snapshot(), self.task_combo.currentData()
        if snapshot is None or task_id is None:
            return None
        return next((t for t in snapshot.artifact_tasks if t.id == task_id), None)

    def newer_snapshot(self) -> Plugin | None:
        """The plugin's latest snapshot when the chosen one is older; None otherwise."""
        chosen = self.current_snapshot()
        if chosen is None or not self._snapshots:
            return None
        latest = self._snapshots[0]
        return None if latest.snapshot_id == chosen.snapshot_id else latest

    def use_latest_snapshot(self) -> str | None:
        """Switch to the plugin's latest snapshot and the task of the same name there.

        Returns:
            None when a task of the same name was found; otherwise a sentence saying
            that the latest snapshot has none (also shown in the picker), and the
            task is left for the user to choose.
        """
        latest = self.newer_snapshot()
        if latest is None:
            return None
        task = self.current_task()
        self._select(self.snapshot_combo, latest.snapshot_id)  # fills the tasks, keeping the name if it can
        if task is not None and latest.task_named(task.name) is None:
            message = (
                f"The latest snapshot ({latest.snapshot_id}) of {latest.name} has no artifact task "
                f"named {task.name}: choose one of its tasks."
            )
            self._set_message(message)
            return message
        return None

    def message(self) -> str:
        """The note or error shown inside the picker ("" when none)."""
        return self.message_label.text() if self._message_row.isVisibleTo(self) else ""

    # -- loading ----------------------------------------------------------------------

    def _load_plugins(self) -> None:
        group_id, client = self._group_id, self._client
        self._last_failed = None
        self._plugins_runner.start(lambda token: client.plugins.get_all(group_id))

    def _load_snapshots(self, plugin_id: int) -> None:
        client = self._client
        self._last_failed = None
        self._set_snapshots(plugin_id, [])
        # Empty combos show their placeholder: the form says "Loading…" without growing a row.
        self._filling = True
        try:
            for combo in (self.snapshot_combo, self.task_combo):
                combo.clear()
                combo.setPlaceholderText(LOADING)
        finally:
            self._filling = False
        self._snapshots_runner.start(lambda token: client.plugins.snapshots.get_all(plugin_id))

    def _on_plugins_loaded(self, plugins: Sequence[Plugin]) -> None:
        self._plugins = {p.id: p for p in plugins}
        if self._message_of == "the plugins":
            # Only its own failure is over: a failed snapshot load or a note about the chosen task still stands.
            self._set_message("")
        self._fill_plugins(chosen=self.current_plugin_id() if self._pending is None else self._pinned_id)
        self.changed.emit()

    def _on_snapshots_loaded(self, snapshots: Sequence[Plugin]) -> None:
        plugin_id = self._snapshots_of
        pending, self._pending = self._pending, None
        if self._message_of != "the plugins":  # a failed plugin list is still failed
            self._set_message("")
        if snapshots and plugin_id == self._pinned_id and plugin_id not in self._plugins:
            self._pinned = snapshots[0]
            self._fill_plugins(chosen=plugin_id)  # the real name instead of "plugin <id>"
        chosen_snapshot, chosen_task = pending if pending else (None, None)
        if pending is None and snapshots:
            # The user picked the plugin: its latest snapshot is the usual choice.
            chosen_snapshot = snapshots[0].snapshot_id
        self._set_snapshots(plugin_id, list(snapshots), chosen_snapshot, chosen_task)
        if pending is not None:
            self._explain_missing(pending)
        self.changed.emit()

    def _explain_missing(self, pending: tuple[int | None, int | None]) -> None:
        snapshot_id, task_id = pending
        if snapshot_id is not None and self.snapshot_combo.currentData() != snapshot_id:
            self._set_message(f"Plugin snapshot {snapshot_id} is not among this plugin's snapshots: choose one.", error=True)
        elif task_id is not None and self.task_combo.currentData() != task_id:
            self._set_message(f"Artifact task {task_id} is not part of plugin snapshot {snapshot_id}: choose one.", error=True)

    def _on_failed(self, what: str, exc: object) -> None:
        # Whatever failed, nothing more is coming for the choice set_current left pending; a
        # pending choice would read as "still loading" for good. (A failed plugin list while
        # the snapshots are still on their way leaves it to them.)
        if what != "the plugins" or not self._snapshots_runner.is_running:
            self._pending = None
        self._last_failed = what
        if isinstance(exc, ApiError):
            log.warning("Loading %s failed: %s", what, exc)
            self._set_message(f"Could not load {what}: {exc.message}", error=True, details=str(exc), about=what)
        else:
            self._set_message(f"Could not load {what}.", error=True, details=str(exc), about=what)
        # Told before the error dialog opens: whoever shows the picker must not wait for it.
        self.changed.emit()
        if not isinstance(exc, ApiError):
            show_unexpected_error(f"Could not load {what}.", exc if isinstance(exc, BaseException) else str(exc), self)

    def _retry(self) -> None:
        if self._last_failed == "the plugins":
            self._load_plugins()
        elif self._snapshots_of is not None:
            self._load_snapshots(self._snapshots_of)
        self._set_message("")

    def _on_running_changed(self, _running: bool) -> None:
        self.setCursor(Qt.CursorShape.BusyCursor if self.is_loading() else Qt.CursorShape.ArrowCursor)
        self.changed.emit()

    # -- filling the combos -----------------------------------------------------------

    def _fill_plugins(self, chosen: int | None = None) -> None:
        entries: list[tuple[str, int, str]] = [
            (p.name, p.id, p.description or "") for p in sorted(self._plugins.values(), key=lambda p: p.name.lower())
        ]
        if chosen is not None and chosen == self._pinned_id and chosen not in self._plugins:
            pinned = self._pinned
            if pinned is None:
                text = f"plugin {chosen}"
            elif pinned.group.id != self._group_id:
                text = f"{pinned.name} ({pinned.group.name})"  # say where it lives: not in this group's list
            else:
                text = pinned.name
            elsewhere = pinned is not None and pinned.group.id != self._group_id
            entries.append((text, chosen, "This plugin belongs to another group" if elsewhere else ""))
        if chosen is not None and chosen not in {e[1] for e in entries}:
            chosen = None  # no longer offered in this group
        previous = self.current_plugin_id()
        self._filling = True
        try:
            self.plugin_combo.clear()
            self.plugin_combo.addItem(NONE_ENTRY, None)
            for text, plugin_id, tip in entries:
                self.plugin_combo.addItem(text, plugin_id)
                self.plugin_combo.setItemData(self.plugin_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
            self.plugin_combo.setCurrentIndex(max(0, self.plugin_combo.findData(chosen)))
        finally:
            self._filling = False
        if self._pending is None and self.current_plugin_id() != previous:
            self._plugin_changed()

    def _set_snapshots(
        self, plugin_id: int | None, snapshots: list[Plugin], chosen: int | None = None, task_id: int | None = None
    ) -> None:
        self._snapshots = snapshots
        self._snapshots_of = plugin_id
        self._fill_snapshots(chosen)
        self._fill_tasks(task_id=task_id)

    def _fill_snapshots(self, chosen: int | None = None) -> None:
        self._filling = True
        try:
            self.snapshot_combo.clear()
            self.snapshot_combo.addItem(NONE_ENTRY, None)
            for index, snapshot in enumerate(self._snapshots):
                when = format_datetime(snapshot.snapshot_created_on)
                mark = f" ({LATEST_MARK})" if index == 0 else ""
                self.snapshot_combo.addItem(f"{snapshot.snapshot_id}{mark}", snapshot.snapshot_id)
                tasks = ", ".join(t.name for t in snapshot.artifact_tasks) or "no artifact tasks"
                self.snapshot_combo.setItemData(
                    self.snapshot_combo.count() - 1, f"Snapshot {snapshot.snapshot_id}, {when}: {tasks}", Qt.ItemDataRole.ToolTipRole
                )
            self.snapshot_combo.setCurrentIndex(max(0, self.snapshot_combo.findData(chosen)))
            self.snapshot_combo.setEnabled(bool(self._snapshots))
        finally:
            self._filling = False

    def _fill_tasks(self, *, task_id: int | None = None, task_name: str | None = None) -> None:
        snapshot = self.current_snapshot()
        tasks = snapshot.artifact_tasks if snapshot else ()
        files = {t.file_name for t in tasks}
        self._filling = True
        try:
            self.task_combo.clear()
            self.task_combo.addItem(NONE_ENTRY, None)
            for task in tasks:
                # Two files may define tasks of the same name; the file tells them apart.
                text = f"{task.name} ({task.file_name})" if len(files) > 1 else task.name
                self.task_combo.addItem(text, task.id)
                outputs = ", ".join(
                    f"{p.name}: {p.parameter_type}" if p.parameter_type else p.name for p in task.output_params
                )
                self.task_combo.setItemData(
                    self.task_combo.count() - 1,
                    f"{task.name} in {task.file_name} (task id {task.id}); outputs: {outputs or 'none'}",
                    Qt.ItemDataRole.ToolTipRole,
                )
            if task_id is None and task_name is not None and snapshot is not None:
                same = snapshot.task_named(task_name)
                task_id = same.id if same else None
            self.task_combo.setCurrentIndex(max(0, self.task_combo.findData(task_id)))
            self.task_combo.setEnabled(bool(tasks))
        finally:
            self._filling = False

    # -- reacting to the user -----------------------------------------------------------

    def _on_plugin_chosen(self, _index: int) -> None:
        if self._filling:
            return
        self._pending = None
        self._user_chose = True
        if self.current_plugin_id() != self._pinned_id:
            self._pinned_id, self._pinned = None, None
        self._plugin_changed()
        self.changed.emit()

    def _plugin_changed(self) -> None:
        self._set_message("")
        plugin_id = self.current_plugin_id()
        if plugin_id is None:
            self._snapshots_runner.cancel()
            self._set_snapshots(None, [])
        else:
            self._load_snapshots(plugin_id)

    def _on_snapshot_chosen(self, _index: int) -> None:
        if self._filling:
            return
        self._user_chose = True
        # Task ids belong to one snapshot; the same task in another snapshot is found by name.
        name = self._task_name_of(self.task_combo.currentData())
        self._set_message("")
        self._fill_tasks(task_name=name)
        self.changed.emit()

    def _task_name_of(self, task_id: int | None) -> str | None:
        for snapshot in self._snapshots:
            for task in snapshot.artifact_tasks:
                if task.id == task_id:
                    return task.name
        return None

    def _on_task_chosen(self, _index: int) -> None:
        if self._filling:
            return
        self._user_chose = True
        self._set_message("")
        self.changed.emit()

    # -- helpers ------------------------------------------------------------------------

    def _combo(self, name: str, tip: str) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.setToolTip(tip)
        # Long plugin names must not widen the whole form; the popup still shows them in full.
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(8)
        combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        return combo

    def _select(self, combo: QComboBox, data: int | None) -> None:
        combo.setCurrentIndex(max(0, combo.findData(data)))

    def _set_message(self, text: str, *, error: bool = False, details: str = "", about: str | None = None) -> None:
        self._message_of = about
        self.message_label.setText(text)
        self.message_label.setStyleSheet(ERROR_STYLE if error else "")
        self.message_label.setToolTip(details)
        self.retry_button.setVisible(error and self._last_failed is not None)
        self._message_row.setVisible(bool(text))
