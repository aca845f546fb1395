"""The artifact search box: plain words or Dioptra's search language, checked before sending."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from artifact_browser.core.search import SearchQueryError, build_query, check_query, looks_like_query

DEBOUNCE_MS = 300
"""Typing pauses this long before a search is sent; Enter sends at once."""
RESOURCE = "artifacts"
PLACEHOLDER = "Search artifacts: words, or e.g. description:*mnist*  (Ctrl+F)"


def query_for(text: str, resource: str = RESOURCE) -> str:
    """The query to send for what the user typed ("" for none).

    Text in the search language is sent as typed, after checking it; anything else
    is searched for literally, as free text.

    Raises:
        SearchQueryError: the server would refuse the text.
    """
    if not text.strip():
        return ""
    if looks_like_query(text, resource):
        check_query(text, resource)
        return text
    return build_query(text, resource=resource)


class _LineEdit(QLineEdit):
    """A line edit whose Esc clears it (the owner decides what clearing means)."""

    escape_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.escape_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class SearchBox(QWidget):
    """A search field with an inline error line under it.

    Typing sends the search after a short pause, Enter at once, Esc clears it. A
    query the server would refuse is not sent: the reason appears under the box.

    Args:
        parent: The parent widget.

    Attributes:
        focus_action: "Find" (Ctrl+F, window-wide): focuses the box and selects its text.

    Signals:
        search_requested(str): A checked query in Dioptra's search language ("" = no filter).
    """

    search_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line_edit = _LineEdit(self)
        self.line_edit.setObjectName("artifactSearch")
        self.line_edit.setPlaceholderText(PLACEHOLDER)
        self.line_edit.setClearButtonEnabled(True)
        self.line_edit.setToolTip(
            "Plain words find artifacts whose description or URI contains them.\n"
            "Dioptra's search language works too: description:*roc*, artifactUri:*.png\n"
            "(* any text, ? one character, terms separated by commas must all match)."
        )

        self.error_label = QLabel(self)
        self.error_label.setObjectName("searchError")
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)  # server reasons are not markup
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.line_edit)
        layout.addWidget(self.error_label)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(lambda: self._submit(force=False))
        self._last_sent = ""
        self._restoring = False

        self.line_edit.textEdited.connect(self._on_edited)
        self.line_edit.returnPressed.connect(lambda: self._submit(force=True))
        self.line_edit.escape_pressed.connect(self.clear)
        # The clear button changes the text without textEdited; search for everything then.
        self.line_edit.textChanged.connect(self._on_changed)

        self.focus_action = QAction("&Find…", self)
        self.focus_action.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Find) or [QKeySequence("Ctrl+F")])
        self.focus_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.focus_action.setStatusTip("Search the artifacts")
        self.focus_action.triggered.connect(self.focus_search)
        self.addAction(self.focus_action)

    # -- what the rest of the program uses ---------------------------------------------

    @property
    def text(self) -> str:
        return self.line_edit.text()

    @property
    def last_query(self) -> str:
        """The query last emitted."""
        return self._last_sent

    def focus_search(self) -> None:
        """Put the cursor in the box with its text selected, ready to type over."""
        self.line_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.line_edit.selectAll()

    def set_text(self, text: str) -> None:
        """Show ``text`` as the current search without sending it (e.g. restored state)."""
        self._timer.stop()
        self._restoring = True
        try:
            self.line_edit.setText(text)
        finally:
            self._restoring = False
        try:
            self._last_sent = query_for(text)
        except SearchQueryError:
            self._last_sent = ""

    def clear(self) -> None:
        """Empty the box and search for everything."""
        self._timer.stop()
        self.line_edit.clear()
        self._submit(force=False)

    def show_error(self, message: str) -> None:
        """Show ``message`` under the box (e.g. the server's reason for a 422); "" hides it."""
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))

    # -- internals ---------------------------------------------------------------------

    def _on_edited(self, _text: str) -> None:
        self._timer.start()

    def _on_changed(self, text: str) -> None:
        if not text and self._last_sent and not self._restoring:
            self._timer.stop()
            self._submit(force=False)

    def _submit(self, *, force: bool) -> None:
        self._timer.stop()
        try:
            query = query_for(self.line_edit.text())
        except SearchQueryError as exc:
            self.show_error(exc.message)
            if exc.position is not None and force:
                self.line_edit.setCursorPosition(exc.position)
            return
        self.show_error("")
        if force or query != self._last_sent:
            self._last_sent = query
            self.search_requested.emit(query)
