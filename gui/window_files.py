"""The File menu's work for MainWindow: open a CSV dataset, import and export weights, export
plots. Each has a method taking a path (for scripts and tests) that its dialog calls."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtWidgets import QFileDialog

from engine.config import HiddenLayer, TrainingConfig, build_trainer, default_output_for
from engine.csv_data import load_csv
from engine.data import Dataset
from engine.errors import DeltascopeError
from engine.features import RAW_WIDTH
from engine.image_shape import shape_from_pixel_names, with_image_shape
from engine.network import Network
from engine.numpy_code import numpy_code
from engine.snapshot import Snapshot
from engine.weights_io import export_network, load_weights
from gui import dialogs
from gui.background_load import load_in_background
from gui.image_shape_prompt import ASK_IMAGE_SHAPE, ask_image_shape, could_be_image

EXPORT_FILTER = "JSON (*.json);;NumPy (*.npz);;ONNX model (*.onnx)"

if TYPE_CHECKING:
    from gui.main_window import MainWindow

    _Base = MainWindow
else:
    _Base = object


class FileActionsMixin(_Base):
    def _on_open_dataset(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open Dataset", "", "CSV files (*.csv)")
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
        output, loss = default_output_for(dataset)
        config = self.controls.config().with_changes(
            dataset=dataset.name, output_activation=output, loss=loss, samples=None, noise=None,
            test_ratio=self._config.test_ratio if len(dataset) > 8 else 0.0)
        if dataset.inputs.shape[1] != RAW_WIDTH:
            config = config.with_changes(features=())  # input features need 2-D data
        try:
            trainer = build_trainer(config, dataset)
        except DeltascopeError as error:
            self.report("Cannot use dataset", str(error))
            return False
        self.set_csv_dataset(dataset)
        self.adopt(trainer, config)
        return True

    def _ask_image_shape(self, dataset: Dataset) -> str | None:
        """The image-shape field (gui/image_shape_prompt.py): the typed shape, None for none,
        ASK_IMAGE_SHAPE when cancelled."""
        inputs = dataset.inputs.shape[1]
        if not could_be_image(inputs) or shape_from_pixel_names(dataset.feature_names):
            return None
        answer = ask_image_shape(self, dataset.name, inputs)
        return ASK_IMAGE_SHAPE if answer is None else (answer or None)

    def _on_import_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import Weights", "",
                                              "Weights (*.json *.npz)")
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
            dataset = self.make_dataset(self._config)
            if network.input_width != dataset.inputs.shape[1]:
                raise DeltascopeError(
                    f"{Path(path).name}: the network takes {network.input_width} inputs but the "
                    f"dataset has {dataset.inputs.shape[1]} input columns")
            if network.sizes[-1] != dataset.targets.shape[1]:
                raise DeltascopeError(
                    f"{Path(path).name}: the last layer has {network.sizes[-1]} outputs but the "
                    f"dataset has {dataset.targets.shape[1]} target columns")
            config = self._config_for_network(network, loaded.loss)
            adopt_shape = loaded.image_shape is not None and dataset.image_shape is None \
                and dataset is self._csv_dataset  # the file says the inputs are an image
            if adopt_shape:
                dataset = replace(dataset, image_shape=loaded.image_shape)
            trainer = build_trainer(config, dataset)
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
        return self._config.with_changes(hidden=hidden, output_activation=network.activations[-1],
                                         loss=loss, features=network.features)

    def _on_export_weights(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export Weights", "weights.json",
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
                           self.make_dataset(self._config).image_shape)
        except (DeltascopeError, OSError) as error:
            self.report("Cannot export weights", str(error))
            return False
        self.mark_saved(snapshot.params)
        self.statusBar().showMessage(f"Weights written to {path}", 5000)
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
        self.statusBar().showMessage("NumPy code of the forward pass copied to the clipboard", 5000)
        return code

    def _snapshot_network(self, snapshot: Snapshot) -> Network:
        """The network a snapshot shows, with the input features of the trainer it came from."""
        return Network(snapshot.sizes, snapshot.activation_names, snapshot.params,
                       self.network_features)

    def _on_export_plots(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export Plots", "plots.png", "PNG (*.png)")
        if path:
            self.export_plots(path)

    def export_plots(self, path: str | Path) -> bool:
        """Save the cost plot and the gradient heatmaps side by side as one PNG."""
        parts = [widget.grab() for widget in (self.cost_plot, self.heatmaps, self.data_view)]
        width = sum(part.width() for part in parts)
        height = max(part.height() for part in parts)
        image = QImage(width, height, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        x = 0
        for part in parts:
            painter.drawPixmap(x, 0, part)
            x += part.width()
        painter.end()
        try:
            dialogs.save_png(image, str(path))
        except OSError as error:
            self.report("Cannot export plots", str(error))
            return False
        return True

