"""View > Smooth Animation: the share of time frames may take, applied and remembered."""

from __future__ import annotations

import pytest

from gui.animation import DEFAULT_SHARE, SMOOTH_SHARE
from tests.gui.helpers import find_action


def test_smooth_animation_sets_both_budgets_and_is_remembered(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    action = find_action(window, "actionSmoothAnimation")
    assert action in window.view_menu.actions()
    assert not action.isChecked()
    assert window.worker.frame_budget == DEFAULT_SHARE == window._pacer.budget
    action.trigger()
    assert window.worker.frame_budget == SMOOTH_SHARE == window._pacer.budget
    again = make_window()  # the same settings file
    assert find_action(again, "actionSmoothAnimation").isChecked()
    assert again.worker.frame_budget == SMOOTH_SHARE
    action.trigger()
    assert window.worker.frame_budget == DEFAULT_SHARE


def test_smooth_animation_plays_and_pauses(make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    find_action(window, "actionSmoothAnimation").trigger()
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.snapshot is not None and window.snapshot.step > 50,
                    timeout=10000)
    paused = window.sync()
    assert paused is not None and not window.playing


def test_a_frame_budget_must_be_a_share(make_window) -> None:  # type: ignore[no-untyped-def]
    worker = make_window().worker
    for share in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="share"):
            worker.set_frame_budget(share)
    assert worker.frame_budget == DEFAULT_SHARE
