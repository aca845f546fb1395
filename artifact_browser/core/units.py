"""Human-readable quantities, shared by the GUI, logs and messages (no Qt here)."""

from __future__ import annotations

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def format_size(n: int | None) -> str:
    """A byte count in binary units: ``"0 B"``, ``"512 B"``, ``"1.2 KiB"``, ``"3.4 GiB"``.

    Args:
        n: A number of bytes, or None when the size is unknown (a directory artifact).

    Returns:
        The size with one decimal above 1 KiB, or ``""`` for None.

    Raises:
        ValueError: ``n`` is negative.
    """
    if n is None:
        return ""
    if n < 0:
        raise ValueError(f"a size cannot be negative: {n}")
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in _UNITS[1:]:
        value /= 1024
        # Move up a unit when rounding would print "1024.0", so a value never reads as the next unit.
        if round(value, 1) < 1024 or unit == _UNITS[-1]:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")
