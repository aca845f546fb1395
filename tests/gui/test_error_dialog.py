"""The unexpected-error dialog: message, folded details, copy, log folder, and a switch for tests."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from artifact_browser.qt import error_dialog
from artifact_browser.qt.error_dialog import (
    ErrorDialog,
    ModalDialogsDisabledError,
    details_of,
    install_excepthook,
    log_folder,
    show_unexpected_error,
)

SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "screenshots"


def _failure() -> ValueError:
    """A real exception with a real traceback."""
    try:
        {"rows": []}["total"]  # noqa: B018
    except KeyError as exc:
        try:
            raise ValueError("the page has no 'total' <field>") from exc
        except ValueError as outer:
            return outer
    raise AssertionError("unreachable")


@pytest.fixture
def dialog(qtbot) -> ErrorDialog:
    exc = _failure()
    widget = ErrorDialog("Could not show the page of artifacts.", details_of(exc))
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def dialogs_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(error_dialog, "MODAL_DIALOGS_ENABLED", True)


class _DialogCloser:
    """Closes the modal ErrorDialog as soon as it shows, remembering its message."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._close_visible)
        self._timer.start()

    def _close_visible(self) -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, ErrorDialog) and widget.isVisible():
                self.seen.append(widget.message_label.text())
                widget.reject()

    def stop(self) -> None:
        self._timer.stop()


@pytest.fixture
def closer() -> Iterator[_DialogCloser]:
    closer = _DialogCloser()
    yield closer
    closer.stop()


def test_the_details_start_folded_and_unfold_on_click(qtbot, dialog: ErrorDialog) -> None:
    assert dialog.message_label.text() == "Could not show the page of artifacts."
    assert not dialog.details_view.isVisible()
    qtbot.mouseClick(dialog.details_toggle, Qt.MouseButton.LeftButton)
    assert dialog.details_view.isVisible()
    text = dialog.details_view.toPlainText()
    assert "Traceback (most recent call last)" in text
    assert "KeyError: 'total'" in text and "ValueError: the page has no 'total' <field>" in text
    assert "artifact-browser " in text and "PySide6 " in text  # versions, for the bug report
    dialog.resize(760, dialog.height())
    QApplication.processEvents()
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    assert dialog.grab().save(str(SCREENSHOT_DIR / "error_dialog.png"))
    qtbot.mouseClick(dialog.details_toggle, Qt.MouseButton.LeftButton)
    assert not dialog.details_view.isVisible()


def test_copy_details_puts_message_and_traceback_on_the_clipboard(qtbot, dialog: ErrorDialog) -> None:
    QGuiApplication.clipboard().setText("before")
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("Could not show the page of artifacts.\n\nTraceback")
    assert "ValueError: the page has no 'total' <field>" in copied
    assert dialog.copy_feedback.text() == "Copied to the clipboard."


def test_the_log_folder_is_named(dialog: ErrorDialog) -> None:
    assert dialog.log_label.text() == f"Log files: {log_folder()}"
    assert "artifact-browser" in str(log_folder())


def test_exception_text_is_shown_as_text_not_markup(qtbot) -> None:
    dialog = ErrorDialog("<h1>Server said</h1> <i>no</i>")
    qtbot.addWidget(dialog)
    assert dialog.message_label.textFormat() == Qt.TextFormat.PlainText
    assert not dialog.details_toggle.isEnabled()  # nothing to unfold


def test_with_dialogs_switched_off_a_dialog_fails_the_test_instead_of_hanging(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(error_dialog, "MODAL_DIALOGS_ENABLED", False)
    with caplog.at_level(logging.ERROR, logger=error_dialog.__name__):
        with pytest.raises(ModalDialogsDisabledError, match="would have opened: Could not list the files") as raised:
            show_unexpected_error("Could not list the files.", _failure())
    assert "ValueError: the page has no 'total' <field>" in str(raised.value)
    assert isinstance(raised.value, AssertionError)  # pytest reports it as a failed assertion
    ((record,),) = [[r for r in caplog.records if r.getMessage() == "Could not list the files."]]
    assert record.exc_info is not None  # the traceback reaches the log file too


def test_with_dialogs_on_the_dialog_is_modal_and_logged(qtbot, dialogs_on, closer: _DialogCloser, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger=error_dialog.__name__):
        show_unexpected_error("Could not build the file tree.", "details from a worker")
    assert closer.seen == ["Could not build the file tree."]
    assert "details from a worker" in caplog.text


def test_the_excepthook_shows_uncaught_errors_in_the_dialog(qtbot, dialogs_on, closer: _DialogCloser) -> None:
    previous = install_excepthook()
    try:
        exc = _failure()
        sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        sys.excepthook = previous
    assert closer.seen == ["Something went wrong: ValueError: the page has no 'total' <field>"]


def test_the_excepthook_hands_over_when_dialogs_are_off(monkeypatch: pytest.MonkeyPatch) -> None:
    handed: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, exc, tb: handed.append(exc))
    monkeypatch.setattr(error_dialog, "MODAL_DIALOGS_ENABLED", False)
    install_excepthook()
    exc = _failure()
    sys.excepthook(type(exc), exc, exc.__traceback__)
    assert handed == [exc]
