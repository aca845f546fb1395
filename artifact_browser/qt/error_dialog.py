"""The dialog for UNEXPECTED errors: a short message, the details to copy, the log folder.

Failures a user can expect (wrong password, 404, a search the server rejects,
a timeout) are shown inline where they happen; this dialog is for the rest,
the ones that are a bug or a surprise and that someone will want to report.

Tests must never hang on a modal dialog nobody will click. Like qutebrowser's
``--no-err-windows``, :data:`MODAL_DIALOGS_ENABLED` switches the dialogs off;
then :func:`show_unexpected_error` raises :class:`ModalDialogsDisabledError`
instead, which fails the test that caused it and says what the dialog would
have said. A test suite turns it off once, in an autouse fixture.
"""

from __future__ import annotations

import logging
import platform
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import platformdirs
import PySide6
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from artifact_browser import __version__

log = logging.getLogger(__name__)

APP_NAME = "artifact-browser"
TITLE = "Unexpected error"

MODAL_DIALOGS_ENABLED: bool = True
"""False in tests: :func:`show_unexpected_error` raises instead of waiting for a click."""


class ModalDialogsDisabledError(AssertionError):
    """An unexpected-error dialog would have been shown while dialogs are switched off.

    An AssertionError, so that a test which provokes one fails with the dialog's text.
    """


def log_folder() -> Path:
    """The folder the program writes its log files to (the same one ``app.configure_logging`` uses)."""
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def details_of(exc: BaseException) -> str:
    """A report for ``exc``: its traceback and the versions that matter for a bug report.

    Only what the exception itself carries is included (no local variables), so
    a password held in a caller's variable cannot end up in the report.
    """
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
    return f"{trace}\n\n{environment()}"


def environment() -> str:
    """One line per component: program, Python, Qt and the platform."""
    return "\n".join(
        (
            f"artifact-browser {__version__}",
            f"Python {platform.python_version()} ({sys.executable})",
            f"PySide6 {PySide6.__version__}, Qt {qVersion()}",
            f"{platform.platform()}",
        )
    )


class ErrorDialog(QDialog):
    """Shows one unexpected error; the details start folded away.

    Args:
        message: One or two sentences for the user (plain text, never markup).
        details: The traceback and versions (see :func:`details_of`); may be empty.
        parent: The window the dialog belongs to.
        title: The window title.
    """

    def __init__(self, message: str, details: str = "", parent: QWidget | None = None, *, title: str = TITLE) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("errorDialog")
        self._message = message
        self._details = details

        icon = QLabel(self)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize, None, self)
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical, None, self).pixmap(size, size))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)

        self.message_label = QLabel(message, self)
        self.message_label.setObjectName("errorMessage")
        # Exception texts may contain "<" (reprs, HTML error pages): never render them.
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.message_label.setContentsMargins(0, 8, 0, 0)  # level with the icon's middle for one line
        self.message_label.setMinimumWidth(360)  # word-wrapped labels otherwise ask for height at a narrow width

        self.details_toggle = QToolButton(self)
        self.details_toggle.setObjectName("detailsToggle")
        self.details_toggle.setText("Details")
        self.details_toggle.setCheckable(True)
        self.details_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.details_toggle.setAutoRaise(True)
        self.details_toggle.setEnabled(bool(details))
        self.details_toggle.toggled.connect(self._show_details)

        self.details_view = QPlainTextEdit(details, self)
        self.details_view.setObjectName("errorDetails")
        self.details_view.setReadOnly(True)
        self.details_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details_view.setMinimumHeight(220)
        self.details_view.hide()

        folder = log_folder()
        self.log_label = QLabel(f"Log files: {folder}", self)
        self.log_label.setObjectName("logFolder")
        self.log_label.setTextFormat(Qt.TextFormat.PlainText)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log_label.setWordWrap(True)
        open_logs = QPushButton("Open log folder", self)
        open_logs.setObjectName("openLogFolder")
        open_logs.setAutoDefault(False)
        open_logs.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = buttons.addButton("Copy details", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setObjectName("copyDetails")
        self.copy_button.setAutoDefault(False)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        self.copy_feedback = QLabel("", self)  # says the copy happened: clipboards are invisible
        self.copy_feedback.setObjectName("copyFeedback")

        top = QHBoxLayout()
        top.addWidget(icon)
        top.addWidget(self.message_label, 1, Qt.AlignmentFlag.AlignTop)
        logs = QHBoxLayout()
        logs.addWidget(self.log_label, 1)
        logs.addWidget(open_logs)
        bottom = QHBoxLayout()
        bottom.addWidget(self.copy_feedback, 1)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.details_view, 1)
        layout.addLayout(logs)
        layout.addLayout(bottom)
        self.setMinimumWidth(480)
        buttons.button(QDialogButtonBox.StandardButton.Close).setFocus()

    @property
    def report(self) -> str:
        """What "Copy details" puts on the clipboard: the message, then the details."""
        return f"{self._message}\n\n{self._details}".rstrip() + "\n"

    def copy_details(self) -> None:
        """Put :attr:`report` on the clipboard, for a bug report or a chat message."""
        QGuiApplication.clipboard().setText(self.report)
        self.copy_feedback.setText("Copied to the clipboard.")

    def _show_details(self, shown: bool) -> None:
        self.details_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.details_view.setVisible(shown)
        self.adjustSize()


def show_unexpected_error(
    message: str,
    error: BaseException | str | None = None,
    parent: QWidget | None = None,
    *,
    title: str = TITLE,
) -> None:
    """Log an unexpected error and show it in a modal :class:`ErrorDialog`.

    Args:
        message: What failed, for the user ("Could not show the preview.").
        error: The exception (its traceback becomes the details), or ready-made
            details text, or None.
        parent: The window the dialog belongs to.
        title: The window title.

    Raises:
        ModalDialogsDisabledError: dialogs are switched off (:data:`MODAL_DIALOGS_ENABLED`).
    """
    if isinstance(error, BaseException):
        log.error("%s", message, exc_info=error)
        details = details_of(error)
    else:
        log.error("%s%s", message, f"\n{error}" if error else "")
        details = error or environment()
    if not MODAL_DIALOGS_ENABLED:
        raise ModalDialogsDisabledError(f"An unexpected-error dialog would have opened: {message}\n{details}")
    dialog = ErrorDialog(message, details, parent, title=title)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.exec()


def install_excepthook() -> Callable[[type[BaseException], BaseException, TracebackType | None], None]:
    """Show exceptions that nothing caught (in Qt slots, too) in the dialog instead of losing them.

    Returns:
        The previous ``sys.excepthook``, to restore it.
    """
    previous = sys.excepthook
    showing = False

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        nonlocal showing
        # An error inside the dialog itself must not loop; with dialogs off (tests), the
        # previous hook (pytest-qt's) reports it.
        if issubclass(kind, KeyboardInterrupt) or showing or not MODAL_DIALOGS_ENABLED or QApplication.instance() is None:
            previous(kind, exc, tb)
            return
        showing = True
        try:
            show_unexpected_error(f"Something went wrong: {_summary(exc)}", exc.with_traceback(tb), QApplication.activeWindow())
        finally:
            showing = False

    sys.excepthook = hook
    return previous


def _summary(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
