"""The strip under the artifact table: page size, page buttons, position and a busy sign."""

from __future__ import annotations

from PySide6.QtCore import QLocale, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QStyle,
    QToolButton,
    QWidget,
)

from artifact_browser.qt.artifact_pager import PAGE_SIZES, ArtifactPager, ArtifactQuery, PageInfo


class PagerBar(QWidget):
    """Controls for an :class:`ArtifactPager`; it follows the pager and drives it.

    The four page actions (:attr:`first_action`, :attr:`previous_action`,
    :attr:`next_action`, :attr:`last_action`) carry window-wide shortcuts
    (Ctrl+PgUp / Ctrl+PgDown for previous / next, with Shift for first / last), so
    a menu can list them too.

    Args:
        pager: The pager to show and control.
        parent: The parent widget.
    """

    def __init__(self, pager: ArtifactPager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pager = pager
        style = self.style()

        self.first_action = self._action(
            "First page", "Ctrl+Shift+PgUp", style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipBackward), pager.first_page
        )
        self.previous_action = self._action(
            "Previous page", "Ctrl+PgUp", style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekBackward), pager.previous_page
        )
        self.next_action = self._action(
            "Next page", "Ctrl+PgDown", style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward), pager.next_page
        )
        self.last_action = self._action(
            "Last page", "Ctrl+Shift+PgDown", style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward), pager.last_page
        )

        size_label = QLabel("&Rows per page:", self)
        self.page_size_combo = QComboBox(self)
        self.page_size_combo.setObjectName("pageSize")
        for size in PAGE_SIZES:
            self.page_size_combo.addItem(QLocale().toString(size), size)
        self.page_size_combo.setToolTip("How many artifacts one page shows")
        size_label.setBuddy(self.page_size_combo)
        self.page_size_combo.activated.connect(self._on_size_chosen)

        self.position_label = QLabel(self)
        self.position_label.setObjectName("pagePosition")
        self.position_label.setTextFormat(Qt.TextFormat.PlainText)

        # An indeterminate bar: the page's progress cannot be measured, only that it is coming.
        self.busy_indicator = QProgressBar(self)
        self.busy_indicator.setObjectName("pageBusy")
        self.busy_indicator.setRange(0, 0)
        self.busy_indicator.setTextVisible(False)
        self.busy_indicator.setFixedSize(QSize(72, 10))
        self.busy_indicator.setToolTip("Loading artifacts…")
        policy = self.busy_indicator.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the bar must not jump when it appears
        self.busy_indicator.setSizePolicy(policy)
        self.busy_indicator.hide()

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(size_label)
        layout.addWidget(self.page_size_combo)
        layout.addSpacing(12)
        for action in (self.first_action, self.previous_action):
            layout.addWidget(self._button(action))
        layout.addWidget(self.position_label)
        for action in (self.next_action, self.last_action):
            layout.addWidget(self._button(action))
        layout.addSpacing(8)
        layout.addWidget(self.busy_indicator)
        layout.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

        pager.page_changed.connect(self._show_page)
        pager.query_changed.connect(self._show_query)
        pager.busy_changed.connect(self.busy_indicator.setVisible)
        self._show_query(pager.query)
        if pager.page_info is not None:
            self._show_page(pager.page_info)
        else:
            self.position_label.setText("Page – of –")
            self._enable(first=False, last=False)
        self.busy_indicator.setVisible(pager.is_busy)

    def _action(self, text: str, shortcut: str, icon, slot) -> QAction:
        action = QAction(icon, text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(f"{text} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})")
        action.triggered.connect(slot)
        self.addAction(action)  # the shortcut works while the bar is in the active window
        return action

    def _button(self, action: QAction) -> QToolButton:
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setAutoRaise(True)
        return button

    def _on_size_chosen(self, row: int) -> None:
        self._pager.set_page_size(int(self.page_size_combo.itemData(row)))

    def _show_query(self, query: ArtifactQuery) -> None:
        row = self.page_size_combo.findData(query.page_size)
        if row < 0:  # a size saved by another version: offer it rather than lie
            self.page_size_combo.addItem(QLocale().toString(query.page_size), query.page_size)
            row = self.page_size_combo.count() - 1
        self.page_size_combo.setCurrentIndex(row)

    def _show_page(self, info: PageInfo) -> None:
        locale = QLocale()
        noun = "artifact" if info.total == 1 else "artifacts"
        self.position_label.setText(
            f"Page {locale.toString(info.page + 1)} of {locale.toString(info.page_count)}"
            f" — {locale.toString(info.total)} {noun}"
        )
        self._enable(first=not info.is_first, last=not info.is_last)

    def _enable(self, *, first: bool, last: bool) -> None:
        self.first_action.setEnabled(first)
        self.previous_action.setEnabled(first)
        self.next_action.setEnabled(last)
        self.last_action.setEnabled(last)
