"""Sessions through the window: save, change things, open, train on, bit-identical to a run
that never stopped; bad files change nothing and name the field; Open Recent."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from engine.data.csv_data import load_csv
from engine.io.session import load_session
from engine.training.config import HiddenLayer, TrainingConfig
from gui.app.main_window import MainWindow
from gui.app.session_actions import MAX_RECENT, SessionController
from gui.base.dialogs import Button
from gui.panels.runs import RunsController
from tests.gui.helpers import find_action, trained

MOONS = TrainingConfig(dataset="moons", samples=60, noise=0.1, test_ratio=0.25,
                       hidden=(HiddenLayer(5, "tanh"),), optimizer="adam", batch_size=7,
                       learning_rate=0.05)


def sessions(window: MainWindow) -> SessionController:
    controller = window.findChild(SessionController)
    assert controller is not None
    return controller


def error_text(window: MainWindow) -> str:
    box = window.findChild(QMessageBox, "errorDialog")
    assert box is not None and box.isVisible()
    text = box.text()
    box.close()
    return text


def test_a_session_opened_after_changes_continues_bit_identically(
    make_window, tmp_path: Path, answers
) -> None:
    window = make_window(MOONS)
    window.step(23)  # 45 training rows in batches of 7: in the middle of epoch 4
    path = tmp_path / "moons.deltascope"
    assert sessions(window).save_session(path)
    window.controls.learning_rate_spin.setValue(0.5)  # change a setting, train on, reset
    window.step(10)
    answers.append(Button.Discard)
    window.controls.seed_spin.setValue(7)
    assert window.step(5).step == 5
    answers.append(Button.Discard)  # the 5 steps since the reset were never saved
    assert sessions(window).open_session(path)
    assert window.controls.config() == MOONS
    after = window.step(31)
    reference = trained(MOONS, 54)
    assert after.step == 54 and after.epoch == reference.epoch
    assert np.array_equal(after.params, reference.network.params)
    assert list(after.history.train_cost) == reference.history.train_cost


def test_a_csv_session_keeps_its_data_and_continues_bit_identically(
    make_window, tmp_path: Path, answers
) -> None:
    csv = tmp_path / "blobs.csv"
    rng = np.random.default_rng(3)
    points = rng.normal(size=(24, 2))
    rows = [f"{x:.17g},{y:.17g},{'up' if x + y > 0 else 'down'}" for x, y in points]
    csv.write_text("a,b,side\n" + "\n".join(rows) + "\n")
    window = make_window(MOONS.with_changes(batch_size=5, optimizer="momentum"))
    assert window.open_dataset(csv)
    window.step(7)
    path = tmp_path / "blobs.deltascope"
    assert sessions(window).save_session(path)
    csv.unlink()  # the session holds the data itself
    answers.append(Button.Discard)
    window.step(3)
    window.controls.dataset_combo.set_code("xor")
    assert window.step(0).step == 0 and window.controls.config().dataset == "xor"
    assert sessions(window).open_session(path)
    assert window.controls.dataset_combo.code() == "blobs"
    after = window.step(13)
    config = load_session(path).config
    rows_and_header = ["a,b,side", *rows]
    csv.write_text("\n".join(rows_and_header) + "\n")
    reference = trained(config, 20, load_csv(csv))
    assert np.array_equal(after.params, reference.network.params)
    window.reset()  # Reset uses the session's data, not a file
    assert window.step(0).step == 0 and len(window.snapshot.history.epochs) == 0


def test_a_corrupt_session_is_refused_naming_the_field_and_changes_nothing(
    make_window, tmp_path: Path
) -> None:
    window = make_window(MOONS)
    window.step(9)
    path = tmp_path / "good.deltascope"
    assert sessions(window).save_session(path)
    data = json.loads(path.read_text())
    data["optimizer"]["arrays"]["first_moment"] = data["optimizer"]["arrays"]["first_moment"][:12]
    bad = tmp_path / "bad.deltascope"
    bad.write_text(json.dumps(data))
    window.controls.learning_rate_spin.setValue(0.2)
    before = window.step(4)
    assert not sessions(window).open_session(bad)
    text = error_text(window)
    assert "bad.deltascope" in text and "optimizer.arrays.first_moment has 12 numbers" in text
    assert "first_moment" in window.banner.text
    after = window.step(0)
    assert np.array_equal(after.params, before.params) and after.step == before.step
    assert window.controls.config().learning_rate == 0.2
    assert str(bad.resolve()) not in sessions(window).recent_paths()


def test_a_bad_pinned_run_is_refused_naming_it(make_window, tmp_path: Path) -> None:
    window = make_window(TrainingConfig(dataset="xor"))
    window.step(2)
    path = tmp_path / "runs.deltascope"
    assert sessions(window).save_session(path)
    data = json.loads(path.read_text())
    data["pinned_runs"] = [{"name": "broken"}]
    path.write_text(json.dumps(data))
    assert not sessions(window).open_session(path)
    assert "pinned_runs" in error_text(window)


def test_pinned_runs_are_saved_and_restored(make_window, tmp_path: Path, answers) -> None:
    window = make_window(MOONS)  # with a test set: pinning a run without one warns (runs.py)
    window.step(30)
    runs = window.findChild(RunsController)
    pinned = runs.pin()
    assert pinned is not None
    path = tmp_path / "pinned.deltascope"
    assert sessions(window).save_session(path)
    runs.model.set_runs([])
    window.step(5)
    answers.append(Button.Discard)
    assert sessions(window).open_session(path)
    assert [run.name for run in runs.model.runs()] == [pinned.name]
    assert np.array_equal(runs.model.run(0).train_cost, pinned.train_cost)


def test_saving_while_playing_pauses_and_saves_the_paused_state(
    make_window, qtbot, tmp_path: Path
) -> None:
    window = make_window(MOONS)
    find_action(window, "actionPlayPause").trigger()
    qtbot.waitUntil(lambda: window.snapshot.step > 50, timeout=10000)
    path = tmp_path / "playing.deltascope"
    assert sessions(window).save_session(path)
    assert not window.playing
    saved = load_session(path).trainer
    paused = window.step(0)
    assert saved.step_count == paused.step
    assert np.array_equal(saved.network.params, paused.params)
    assert not window.has_unsaved_training  # the session holds the weights


def test_open_recent_lists_the_newest_paths_and_opens_them(
    make_window, tmp_path: Path, answers
) -> None:
    window = make_window(TrainingConfig(dataset="xor"))
    controller = sessions(window)
    paths = [tmp_path / f"s{number}.deltascope" for number in range(MAX_RECENT + 2)]
    for path in paths:
        window.step(1)
        assert controller.save_session(path)
    expected = [str(path.resolve()) for path in reversed(paths)][:MAX_RECENT]
    assert controller.recent_paths() == expected
    listed = [action.data() for action in controller.recent_menu.actions() if action.data()]
    assert listed == expected
    assert controller.recent_menu.actions()[0].text().endswith(paths[-1].name)
    window.step(3)
    answers.append(Button.Discard)
    opened = next(action for action in controller.recent_menu.actions()
                  if action.data() == str(paths[-4].resolve()))
    opened.trigger()
    assert window.step(0).step == MAX_RECENT + 2 - 3
    assert controller.recent_paths()[0] == str(paths[-4].resolve())
    controller.clear_recent()
    assert controller.recent_paths() == []


def test_session_actions_are_in_the_file_menu_with_their_own_shortcuts(make_window) -> None:
    window = make_window()
    controller = sessions(window)
    file_menu = window.menuBar().actions()[0].menu()
    assert file_menu.actions()[:3] == [controller.open_action,
                                      controller.recent_menu.menuAction(),
                                      controller.save_action]
    assert controller.save_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Save)
    assert controller.open_action.shortcut() == QKeySequence("Ctrl+Shift+O")
    shortcuts = [action.shortcut() for action in window.findChildren(QAction)
                 if not action.shortcut().isEmpty()]
    for mine in (controller.save_action.shortcut(), controller.open_action.shortcut()):
        assert shortcuts.count(mine) == 1


def test_hostile_session_files_are_refused_through_the_window(
    make_window, tmp_path: Path
) -> None:
    """Values that once crashed or wedged the window: refused, named, nothing changed."""
    window = make_window(TrainingConfig(dataset="xor"))
    window.step(3)
    good = tmp_path / "good.deltascope"
    assert window.save_session(str(good))
    before = window.step(0)
    valid = json.loads(good.read_text())
    hostile = {
        "step 10**30": lambda data: data["trainer"].__setitem__("step", 10**30),
        "seed 2**70": lambda data: data["config"].__setitem__("seed", 2**70),
        "samples 1e9": lambda data: data["config"].__setitem__("samples", 10**9),
        "hidden 1e9": lambda data: data["config"]["hidden"][0].__setitem__("size", 10**9),
    }
    for label, change in hostile.items():
        data = json.loads(json.dumps(valid))
        change(data)
        path = tmp_path / f"{label}.deltascope"
        path.write_text(json.dumps(data))
        assert not window.open_session(str(path)), label
        assert "must be in [" in window.banner.text, label
    nested = tmp_path / "nested.deltascope"
    nested.write_text("[" * 100_000)
    assert not window.open_session(str(nested))
    assert "nested too deeply" in window.banner.text
    after = window.step(0)
    assert after.step == before.step and np.array_equal(after.params, before.params)
    assert window.config == TrainingConfig(dataset="xor")
    assert window.step(1).step == before.step + 1  # and training goes on
