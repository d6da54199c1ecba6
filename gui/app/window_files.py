"""The File menu's work for MainWindow: open a CSV dataset, import and export weights, export
plots. Each has a method taking a path (for scripts and tests) that its dialog calls."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QGuiApplication

from engine.core.errors import DeltascopeError
from engine.core.network import Network
from engine.data.csv_data import load_csv
from engine.data.dataset import Dataset
from engine.data.image_shape import shape_from_pixel_names, with_image_shape
from engine.data.learnability import output_problems
from engine.data.tasks import for_output
from engine.io.numpy_code import numpy_code
from engine.io.weights_io import export_network, load_weights
from engine.training.config import HiddenLayer, TrainingConfig, build_trainer, config_for_data
from engine.training.snapshot import Snapshot
from gui.app import plot_export
from gui.app.background_load import load_in_background
from gui.base.file_dialogs import confirm, open_file_name, save_file_name
from gui.base.image_shape_prompt import ASK_IMAGE_SHAPE, ask_image_shape, could_be_image

EXPORT_FILTER = "JSON (*.json);;NumPy (*.npz);;ONNX model (*.onnx)"

if TYPE_CHECKING:
    from gui.app.window_api import AppWindowApi

    _Base = AppWindowApi
else:
    _Base = object


class FileActionsMixin(_Base):
    def _on_open_dataset(self) -> None:
        path = open_file_name(self, self.settings, "Open Dataset", "CSV files (*.csv)")
        if path:
            self.open_dataset(path, image_shape=ASK_IMAGE_SHAPE)

    def open_dataset(self, path: str | Path, image_shape: str | None = None) -> bool:
        """Load a CSV and train on it; on error show it and change nothing. `image_shape`
        ('8x8'): its inputs are an image's pixels (None: as the column names say;
        ASK_IMAGE_SHAPE: ask when they could be and the names do not say)."""
        try:
            dataset = load_in_background(self, f"Reading {Path(path).name}…",
                                         lambda progress: load_csv(path, progress=progress))
            if dataset is not None and image_shape == ASK_IMAGE_SHAPE:
                image_shape = self._ask_image_shape(dataset)
                if image_shape == ASK_IMAGE_SHAPE:
                    dataset = None
            if dataset is not None:
                dataset = with_image_shape(dataset, image_shape or None, "image shape")
        except DeltascopeError as error:
            self.report("Cannot open dataset", str(error))
            return False
        if dataset is None:
            self.statusBar().showMessage("Opening the dataset was cancelled", 5000)
            return False
        if not self.confirm_discard():
            return False
        config = config_for_data(self.controls.config().with_changes(samples=None, noise=None),
                                 dataset, generated=False)
        try:
            trainer = build_trainer(config, dataset)
        except DeltascopeError as error:
            self.report("Cannot use dataset", str(error))
            return False
        self.set_csv_dataset(dataset)
        self.adopt(trainer, config)
        return True

    def _ask_image_shape(self, dataset: Dataset) -> str | None:
        """The image-shape field (gui/base/image_shape_prompt.py): the typed shape, None for none,
        ASK_IMAGE_SHAPE when cancelled."""
        inputs = dataset.inputs.shape[1]
        if not could_be_image(inputs) or shape_from_pixel_names(dataset.feature_names):
            return None
        answer = ask_image_shape(self, dataset.name, inputs)
        return ASK_IMAGE_SHAPE if answer is None else (answer or None)

    def _on_import_weights(self) -> None:
        path = open_file_name(self, self.settings, "Import Weights", "Weights (*.json *.npz)")
        if path:
            self.import_weights(path)

    def import_weights(self, path: str | Path) -> bool:
        """Load weights (architecture, activations, loss) onto the current data."""
        try:
            loaded = load_in_background(self, f"Reading {Path(path).name}…",
                                        lambda progress: load_weights(path))
            if loaded is None:
                self.statusBar().showMessage("Importing weights was cancelled", 5000)
                return False
            network = loaded.network
            dataset = for_output(self.make_dataset(self.config), network.activations[-1])
            if network.input_width != dataset.inputs.shape[1]:
                raise DeltascopeError(
                    f"{Path(path).name}: the network takes {network.input_width} inputs but the "
                    f"dataset has {dataset.inputs.shape[1]} input columns")
            if network.sizes[-1] != dataset.targets.shape[1]:
                found = output_problems(network.activations[-1], loaded.loss,
                                        network.sizes[-1], dataset)
                raise DeltascopeError(f"{Path(path).name}: the last layer has "
                                      f"{network.sizes[-1]} outputs, which cannot learn this "
                                      f"data: {found[0]}")
            config = self._config_for_network(network, loaded.loss)
            adopt_shape = loaded.image_shape is not None and dataset.image_shape is None \
                and dataset is self.csv_dataset  # the file says the inputs are an image
            if adopt_shape:
                dataset = replace(dataset, image_shape=loaded.image_shape)
            trainer = build_trainer(config, dataset)
            # The file's standardization, not one fitted again to this split.
            trainer.network.standardization = network.standardization
        except DeltascopeError as error:
            self.report("Cannot import weights", str(error))
            return False
        if not self.confirm_discard():
            return False
        trainer.network.params[...] = network.params
        if adopt_shape:
            self.set_csv_dataset(dataset)
        self.adopt(trainer, config, saved_params=network.params.copy())
        return True

    def _config_for_network(self, network: Network, loss: str) -> TrainingConfig:
        hidden = tuple(HiddenLayer(size, activation) for size, activation in
                       zip(network.sizes[1:-1], network.activations[:-1], strict=True))
        return self.config.with_changes(hidden=hidden, output_activation=network.activations[-1],
                                        loss=loss, features=network.features,
                                        standardize=network.standardization is not None)

    def _on_export_weights(self) -> None:
        path = save_file_name(self, self.settings, "Export Weights", "weights.json",
                              EXPORT_FILTER)
        if path:
            self.export_weights(path)

    def export_weights(self, path: str | Path) -> bool:
        """Write the current weights (pausing first so they are exactly the paused state)."""
        snapshot = self.sync() if self.playing else self.snapshot
        if snapshot is None:
            return False
        try:
            export_network(path, self._snapshot_network(snapshot), snapshot.loss,
                           self.make_dataset(self.config).image_shape)
        except (DeltascopeError, OSError) as error:
            self.report("Cannot export weights", str(error))
            return False
        self.mark_saved(snapshot.params)
        confirm(self, f"Weights written to {Path(path).resolve()}")
        return True

    def copy_numpy_code(self) -> str | None:
        """Put a self-contained NumPy forward pass with the current weights on the clipboard."""
        snapshot = self.sync() if self.playing else self.snapshot
        if snapshot is None:
            return None
        try:
            code = numpy_code(self._snapshot_network(snapshot))
        except DeltascopeError as error:
            self.report("Cannot copy code", str(error))
            return None
        QGuiApplication.clipboard().setText(code)
        confirm(self, f"NumPy code of the forward pass copied to the clipboard "
                      f"({len(code.splitlines())} lines)")
        return code

    def _snapshot_network(self, snapshot: Snapshot) -> Network:
        """The network a snapshot shows, with the input features of the trainer it came from."""
        return Network(snapshot.sizes, snapshot.activation_names, snapshot.params,
                       self.network_features, self.network_standardization)

    def _on_export_plots(self) -> None:
        path = save_file_name(self, self.settings, "Export Plots", "plots.png",
                              plot_export.FILE_FILTER)
        if path:
            self.export_plots(path)

    def export_plots(self, path: str | Path, with_canvas: bool = True) -> bool:
        """Save the plots as shown (and the network canvas) as one PNG or SVG (by extension;
        gui/app/plot_export.py)."""
        try:
            plot_export.export_plots(self, path, with_canvas)
        except (OSError, ValueError) as error:
            self.report("Cannot export plots", str(error))
            return False
        confirm(self, f"Plots written to {Path(path).resolve()}")
        return True

