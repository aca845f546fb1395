"""The line under a form field: a hint, a problem in red, or a server refusal with the server's own words."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QSizePolicy, QToolButton, QVBoxLayout, QWidget

ERROR_STYLE = "color: #b00020;"
HINT_STYLE = "color: palette(placeholder-text);"
# How many lines of the server's text show at once (the rest scrolls).
_DETAILS_LINES = 4


class FieldNote(QWidget):
    """A sentence under a field; the server's text, when there is one, sits behind a "Details" toggle.

    The sentence stays short and plain, while a user who reports a problem can
    still copy exactly what the server said (it is also the sentence's tooltip).

    Args:
        parent: The form.
        name: The object name; its parts are named ``<name>Text``, ``<name>DetailsToggle``
            and ``<name>Details``.
    """

    def __init__(self, parent: QWidget | None = None, *, name: str = "") -> None:
        super().__init__(parent)
        self.setObjectName(name)
        # Never more height than the sentence (and the details) need: a form's spare room goes to its lists.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.label = QLabel(self)
        self.label.setObjectName(f"{name}Text" if name else "")
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # server text is not markup
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.details_button = QToolButton(self)
        self.details_button.setObjectName(f"{name}DetailsToggle" if name else "")
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setToolTip("Show what the server said")
        # A scrolling box of a few lines: a wrapped label inside nested form layouts
        # does not make its dialog grow, and the server's text can be long.
        self.details_view = QPlainTextEdit(self)
        self.details_view.setObjectName(f"{name}Details" if name else "")
        self.details_view.setReadOnly(True)
        self.details_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details_view.setFixedHeight(self.details_view.fontMetrics().lineSpacing() * _DETAILS_LINES + 12)
        self.details_button.toggled.connect(self.details_view.setVisible)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.details_view)
        self.clear()

    @property
    def is_error(self) -> bool:
        """True while a problem (not a hint) is shown."""
        return self.label.styleSheet() == ERROR_STYLE

    def text(self) -> str:
        """The sentence shown ("" when hidden)."""
        return "" if self.isHidden() else self.label.text()

    def details_text(self) -> str:
        """The server's text behind the toggle ("" when there is none)."""
        return self.details_view.toPlainText()

    def show_hint(self, text: str) -> None:
        self._show(text, "", HINT_STYLE)

    def show_problem(self, text: str, details: str = "") -> None:
        self._show(text, details, ERROR_STYLE)

    def clear(self) -> None:
        self._show("", "", "")

    def _show(self, text: str, details: str, style: str) -> None:
        self.label.setText(text)
        self.label.setStyleSheet(style)
        self.details_view.setPlainText(details)
        self.label.setToolTip(details)
        self.details_button.setVisible(bool(details))
        if not details:
            self.details_button.setChecked(False)
        self.details_view.setVisible(bool(details) and self.details_button.isChecked())
        self.setVisible(bool(text))
