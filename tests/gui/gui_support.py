"""Small helpers shared by the GUI tests."""

from __future__ import annotations

from pathlib import Path

from typing import TypeVar

from PySide6.QtWidgets import QApplication, QWidget

from artifact_browser.devserver.manifest import ArtifactInfo, SeedManifest

SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "screenshots"

W = TypeVar("W", bound=QWidget)


def save_screenshot(widget: QWidget, name: str) -> Path:
    """Save what ``widget`` shows as ``screenshots/<name>.png`` (to look at) and return the path."""
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    QApplication.processEvents()  # let layouts settle (a busy bar may have just been hidden)
    assert widget.grab().save(str(path)), f"could not save {path}"
    return path


def seeded(manifest: SeedManifest, name: str) -> ArtifactInfo:
    """The seeded artifact whose URI ends in ``name`` (names in the seed are unique)."""
    (found,) = [a for a in manifest.artifacts if a.name == name]
    return found


def shown(qtbot, widget: W, width: int, height: int) -> W:
    """``widget`` on screen at ``width`` × ``height``, closed by pytest-qt after the test."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget
