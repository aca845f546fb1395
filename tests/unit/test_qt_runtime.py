"""Guards against defects of the Qt binding itself that would crash the program."""

from __future__ import annotations

import sys

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt


class _NoneModel(QAbstractTableModel):
    def rowCount(self, parent=QModelIndex()):  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else 1

    def columnCount(self, parent=QModelIndex()):  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else 1

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        return None


def test_a_model_returning_none_does_not_leak_a_reference_to_none(qapp):
    # PySide6 6.12.0 decremented None's reference count on every such call from
    # C++, so a view painting a table eventually aborted the interpreter.
    model = _NoneModel()  # kept alive: an index does not own its model
    index = model.index(0, 0)
    before = sys.getrefcount(None)
    for _ in range(1000):
        index.data(Qt.ItemDataRole.ToolTipRole)
    assert abs(sys.getrefcount(None) - before) < 50
