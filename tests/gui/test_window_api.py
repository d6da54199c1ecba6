"""MainWindow fulfils the interfaces the panels (WindowApi) and the window's own features
(AppWindowApi) are typed against, member by member, with the declared kind (signal, method,
property or attribute)."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import SignalInstance

from gui.app.window_api import AppWindowApi
from gui.panels.window_api import WindowApi


def members(protocol: type) -> dict[str, str]:
    """Each member a Protocol declares (its own and its bases'), with its kind."""
    found: dict[str, str] = {}
    for cls in reversed(protocol.__mro__):
        if cls is object or cls is Protocol or not getattr(cls, "_is_protocol", False):
            continue
        for name, annotation in getattr(cls, "__annotations__", {}).items():
            found[name] = "signal" if "SignalInstance" in str(annotation) else "attribute"
        for name, value in vars(cls).items():
            if name.startswith("__"):
                continue
            if isinstance(value, property):
                found[name] = "property"
            elif callable(value):
                found[name] = "method"
    return found


def kind_on(window: object, name: str) -> str | None:
    if not hasattr(window, name):
        return None
    value = getattr(window, name)
    if isinstance(value, SignalInstance):
        return "signal"
    if isinstance(getattr(type(window), name, None), property):
        return "property"
    return "method" if callable(value) and not hasattr(value, "metaObject") else "attribute"


def test_the_window_has_every_member_its_features_use(make_window) -> None:
    window = make_window()
    declared = members(AppWindowApi)
    assert set(members(WindowApi)) <= set(declared)
    assert {"canvas", "worker", "snapshot_shown", "add_dock", "settings"} <= set(declared)
    wrong = {name: (kind, kind_on(window, name)) for name, kind in declared.items()
             if kind_on(window, name) != kind}
    assert wrong == {}


def test_the_window_interfaces_list_no_private_names() -> None:
    """What the window's parts share goes through public properties and methods."""
    assert [name for name in members(AppWindowApi) if name.startswith("_")] == []
    assert {"config", "csv_dataset", "trained_network", "trained_data", "reset_to"} <= set(
        members(AppWindowApi))
