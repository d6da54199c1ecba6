"""View > Neuron Maps: the action that shows neuron maps (gui/views/neuron_maps.py) as canvas
thumbnails and, for the hovered neuron, large in the data view."""

from __future__ import annotations

from engine.training.snapshot import Snapshot
from gui.panels.window_api import WindowApi
from gui.views.neuron_maps import neuron_title


def install_neuron_maps(window: WindowApi) -> None:
    """View > Neuron Maps (on at first, then as last chosen): thumbnails in the canvas for
    2-D data, and the hovered neuron's map large in the data view until the mouse leaves it."""
    action = window.make_action(
        "actionNeuronMaps", "Neuron Maps",
        "Show each neuron's activation over the input plane (2-D data); hover one to see it "
        "large in the Data view", "M", checkable=True)
    window.remember_checked(action, "neuronMaps", default=True)
    window.view_menu.addAction(action)
    canvas, data_view = window.canvas, window.data_view
    canvas.set_show_maps(action.isChecked())

    def on_toggled(on: bool) -> None:
        canvas.set_show_maps(on)
        if not on:
            data_view.show_map(None)

    def on_hovered(layer: int, index: int) -> None:
        snapshot = window.snapshot
        if layer < 0 or not action.isChecked() or snapshot is None or snapshot.grid is None:
            data_view.show_map(None)
            return
        activation = snapshot.activation_names[layer - 1] if layer > 0 else None
        title = neuron_title(layer, index, activation, canvas.neuron_label(layer, index))
        data_view.show_neuron_map(layer, index, title)

    def on_snapshot(snapshot: Snapshot) -> None:  # maps exist for 2-D data only
        action.setEnabled(snapshot.grid is not None)

    action.toggled.connect(on_toggled)
    canvas.neuron_hovered.connect(on_hovered)
    window.snapshot_shown.connect(on_snapshot)
