"""Save screenshots of the program on a seeded local Dioptra server, for the README.

    .venv/bin/python tools/screenshots.py [output folder]   (default: docs/screenshots)

Runs offscreen; starts its own throwaway server and stops it afterwards.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QDeadlineTimer, QItemSelectionModel, QSettings  # noqa: E402
from keyring.backends import null  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from artifact_browser.api import connect  # noqa: E402
from artifact_browser.core.credentials import CredentialStore  # noqa: E402
from artifact_browser.core.profiles import ProfileStore  # noqa: E402
from artifact_browser.devserver import start_seeded_server  # noqa: E402
from artifact_browser.qt.main_window import MainWindow  # noqa: E402
from artifact_browser.qt.settings import Settings  # noqa: E402
from artifact_browser.qt.sign_in_dialog import SignInDialog  # noqa: E402

SIZE = (1500, 900)
TIMEOUT_MS = 30_000


def wait_until(condition, timeout_ms: int = TIMEOUT_MS) -> None:
    deadline = QDeadlineTimer(timeout_ms)
    while not condition():
        if deadline.hasExpired():
            raise TimeoutError("the window did not get there in time")
        QApplication.processEvents()
        QApplication.instance().thread().msleep(10)


def settle(ms: int = 300) -> None:
    deadline = QDeadlineTimer(ms)
    while not deadline.hasExpired():
        QApplication.processEvents()


def save(widget: QWidget, folder: Path, name: str) -> None:
    settle()
    path = folder / f"{name}.png"
    widget.grab().save(str(path))
    print(f"saved {path}")


def select_row(window: MainWindow, predicate) -> None:
    model = window.model
    row = next(r for r in range(model.rowCount()) if predicate(model.artifact(r)))
    window.table.selectionModel().setCurrentIndex(
        model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    )
    window.table.scrollTo(model.index(row, 0))


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        server, manifest = start_seeded_server(Path(tmp) / "server")
        try:
            demo = manifest.demo
            with connect(server.url) as client:
                client.auth.login(demo.username, demo.password)
                window = MainWindow(client, Settings())
                window.resize(*SIZE)
                window.show()
                wait_until(lambda: window.model.rowCount() > 0 and not window.pager.is_busy)
                window.tree.expand(window.tree_model.index(1, 0))
                wait_until(lambda: window.tree_model.rowCount(window.tree_model.index(1, 0)) > 1)
                save(window, folder, "main_window")

                select_row(window, lambda a: a.name.endswith(".csv") and a.task is not None)
                wait_until(lambda: not window.preview.is_busy and window.details.artifact is not None)
                save(window, folder, "details_and_preview")

                select_row(window, lambda a: a.is_dir and "evaluation" in (a.description or ""))
                wait_until(lambda: window.files.isVisible() and window.files.current_file() is None and window.files.artifact is not None)
                settle(1500)
                window.files.select_path(next(f.relative_path for f in manifest.artifact(window.files.artifact.id).files if f.relative_path.endswith(".png")))
                wait_until(lambda: not window.preview.is_busy)
                save(window, folder, "file_tree_and_image")

                edited = next(a for a in manifest.artifacts if a.snapshot_count > 1)
                select_row(window, lambda a: a.id == edited.id)
                history = window.details.history
                wait_until(lambda: window.details.artifact is not None and window.details.artifact.id == edited.id)
                wait_until(lambda: len(history.snapshots()) == edited.snapshot_count)
                history.choose(history.snapshots()[-1].snapshot_id)
                wait_until(window.details.is_showing_older_snapshot)
                save(window, folder, "snapshot_history")
                window.details.show_latest()

                window.edit_current()
                wait_until(lambda: window.details.editor is not None and not window.details.editor.task_picker.is_loading())
                save(window.details.editor, folder, "edit_artifact")
                window.details.editor.reject()

                # The form filled in as a user would, but not sent: the demo data stays as seeded.
                spare = next(s for s in manifest.spares if not s.is_dir)
                form = window.register_artifact(group_id=spare.group_id, job_id=spare.job_id)
                wait_until(lambda: form.job_picker.run_id() is not None)
                form.uri_edit.setText(spare.uri)
                form.description_edit.setPlainText("evaluation notes")
                wait_until(form.register_button.isEnabled)
                save(form, folder, "register_artifact")
                form.reject()
                window.close()

            store = ProfileStore(Path(tmp) / "profiles.json")
            # No keyring on a headless machine: the dialog says so, as it would for a user.
            dialog = SignInDialog(store, CredentialStore(null.Keyring()))
            dialog.fill(server.url, demo.username)
            dialog.show()
            save(dialog, folder, "sign_in")
            dialog.close()
        finally:
            server.stop()
    del app


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "docs" / "screenshots")
