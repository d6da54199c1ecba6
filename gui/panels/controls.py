"""The controls dock: data source, network editor and training hyperparameters.

It edits a TrainingConfig and says what kind of change was made: `hyperparameters_changed`
(applied at the next step, no reset) or `structure_changed` (data, input features,
architecture, init or seed: the window asks before discarding trained weights, then resets).

Why this is long: one form of every training setting; its parts read and write one
TrainingConfig together.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.core.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from engine.core.features import FEATURES, RAW_FEATURES, RAW_WIDTH
from engine.core.initializers import INITIALIZERS
from engine.core.losses import LOSSES, REDUCTIONS
from engine.core.optimizers import OPTIMIZERS
from engine.data.datasets import DATASET_INFO, DATASET_NAMES
from engine.data.learnability import loss_for_output
from engine.data.tasks import TASK_CHOICES
from engine.training.config import MAX_LAYER_SIZE, HiddenLayer, TrainingConfig, suited_to_dataset
from engine.training.trainer import REGULARIZATIONS
from gui.base.option_combo import OptionCombo

MAX_HIDDEN_LAYERS = 8
FEATURE_COLUMNS = 4  # feature checkboxes per row
TASK_LABEL_MIN_WIDTH = 220  # pixels the task line is wrapped at, at least


def _combo(name: str, kind: str, items: tuple[str, ...], tip: str) -> OptionCombo:
    """Options by readable name; code names (as sessions and the CLI use) in tooltips."""
    return OptionCombo(kind, items, tip, name)


class HiddenLayerRow(QWidget):
    """One hidden layer: its neuron count, its activation and a remove button."""

    changed = Signal()
    remove_requested = Signal(object)

    def __init__(self, layer: HiddenLayer, number: int) -> None:
        super().__init__()
        self.size_spin = QSpinBox(minimum=1, maximum=MAX_LAYER_SIZE, value=layer.size,
                                  toolTip="Neurons in this layer", keyboardTracking=False)
        self.size_spin.setObjectName(f"layerSize{number}")
        self.activation_combo = _combo(f"layerActivation{number}", "activation", HIDDEN_ACTIVATIONS,
                                       "Activation of this layer")
        self.activation_combo.set_code(layer.activation)
        remove = QToolButton(text="−", toolTip="Remove this hidden layer")
        remove.setObjectName(f"removeLayer{number}")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.size_spin)
        row.addWidget(self.activation_combo, 1)
        row.addWidget(remove)
        self.size_spin.valueChanged.connect(self.changed)
        self.activation_combo.code_changed.connect(self.changed)
        remove.clicked.connect(lambda: self.remove_requested.emit(self))

    def layer(self) -> HiddenLayer:
        return HiddenLayer(self.size_spin.value(), self.activation_combo.code())


class ControlsPanel(QWidget):
    """Edits a TrainingConfig; never touches the trainer itself."""

    hyperparameters_changed = Signal()
    structure_changed = Signal()
    regenerate_requested = Signal()
    task_changed = Signal(str)  # the person took the CSV's targets as this task

    def __init__(self, config: TrainingConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("controlsPanel")
        self._csv_label = ""
        self._rows: list[HiddenLayerRow] = []
        self._updating = False
        self._input_width = RAW_WIDTH
        layout = QVBoxLayout(self)
        layout.addWidget(self._create_data_group())
        layout.addWidget(self._create_features_group())
        layout.addWidget(self._create_network_group())
        layout.addWidget(self._create_training_group())
        layout.addStretch(1)
        for spin in self.findChildren(QAbstractSpinBox):
            spin.setKeyboardTracking(False)  # apply on Enter, focus-out or arrows, not per key
        self.set_config(config)

    # -- building -------------------------------------------------------------------------

    def _create_data_group(self) -> QGroupBox:
        group = QGroupBox("Data")
        form = QFormLayout(group)
        self.dataset_combo = _combo("datasetCombo", "dataset", DATASET_NAMES, "Built-in dataset")
        self.samples_spin = QSpinBox(objectName="samplesSpin", minimum=10, maximum=100_000,
                                     singleStep=50, toolTip="Number of generated samples")
        self.noise_spin = QDoubleSpinBox(objectName="noiseSpin", minimum=0.0, maximum=0.5,
                                         singleStep=0.05, decimals=2,
                                         toolTip="Noise, a fraction from 0 to 0.5 (TensorFlow "
                                         "Playground shows it as 0 to 50 %)")
        self.test_ratio_spin = QDoubleSpinBox(objectName="testRatioSpin", minimum=0.0,
                                              maximum=0.9, singleStep=0.1, decimals=2,
                                              toolTip="Fraction of samples held out for testing")
        regenerate = QPushButton("Regenerate", objectName="regenerateButton",
                                 toolTip="Generate the data again with these settings")
        self.task_combo = _combo("taskCombo", "task", TASK_CHOICES,
                                 "Take the targets as classes or as numbers to predict "
                                 "(a CSV's choice; built-in datasets have their own)")
        self.task_label = QLabel(objectName="taskLabel", wordWrap=True)
        self.task_label.setStyleSheet("color: palette(mid);")
        self.standardize_check = QCheckBox(
            "Standardize inputs", objectName="standardizeCheck",
            toolTip="(x − mean) / std per input column, with the training split's mean and "
                    "std; exports take raw inputs and do the same")
        form.addRow("Dataset", self.dataset_combo)
        form.addRow("Samples", self.samples_spin)
        form.addRow("Noise", self.noise_spin)
        form.addRow("Test ratio", self.test_ratio_spin)
        form.addRow(regenerate)
        form.addRow("Task", self.task_combo)
        form.addRow(self.task_label)
        form.addRow(self.standardize_check)
        self.dataset_combo.code_changed.connect(self._on_dataset_chosen)
        self.task_combo.code_changed.connect(self._on_task_chosen)
        self.standardize_check.toggled.connect(self._on_structure_edit)
        for spin in (self.samples_spin, self.noise_spin, self.test_ratio_spin):
            spin.valueChanged.connect(self._on_structure_edit)
        regenerate.clicked.connect(self.regenerate_requested)
        return group

    def _create_features_group(self) -> QGroupBox:
        """One checkbox per input feature of 2-D data (X1 and X2 alone: the raw inputs)."""
        group = self.features_group = QGroupBox("Features", objectName="featuresGroup")
        grid = QGridLayout(group)
        grid.setHorizontalSpacing(8)
        self.feature_checks: dict[str, QCheckBox] = {}
        for number, feature in enumerate(FEATURES.values()):
            check = QCheckBox(feature.display, objectName=f"featureCheck{number + 1}",
                              toolTip=f"Input feature {feature.formula}")
            check.toggled.connect(lambda on, name=feature.id: self._on_feature_toggled(name, on))
            grid.addWidget(check, *divmod(number, FEATURE_COLUMNS))
            self.feature_checks[feature.id] = check
        return group

    def _create_network_group(self) -> QGroupBox:
        group = QGroupBox("Network")
        outer = QVBoxLayout(group)
        self._rows_layout = QVBoxLayout()
        outer.addWidget(_caption("Hidden layers (neurons, activation)"))
        outer.addLayout(self._rows_layout)
        self.add_layer_button = QPushButton("Add hidden layer", objectName="addLayerButton")
        self.add_layer_button.clicked.connect(self._on_add_layer)
        outer.addWidget(self.add_layer_button)
        form = QFormLayout()
        self.output_combo = _combo("outputActivationCombo", "output_activation", OUTPUT_ACTIVATIONS,
                                   "Activation of the output layer")
        self.loss_combo = _combo("lossCombo", "loss", LOSSES, "Per-sample loss (see MATH.md)")
        self.reduction_combo = _combo("reductionCombo", "reduction", REDUCTIONS,
                                      "How per-sample costs combine over a batch")
        self.initializer_combo = _combo(
            "initializerCombo", "initializer", INITIALIZERS,
            "Weight initializer: xavier (Glorot uniform) and he start biases at 0; uniform "
            "is TensorFlow Playground's, U(−0.5, 0.5) weights "
            "and biases 0.1")
        self.seed_spin = QSpinBox(objectName="seedSpin", minimum=0, maximum=2**31 - 1,
                                  toolTip="One seed drives data, split, initial weights, order")
        form.addRow("Output", self.output_combo)
        form.addRow("Loss", self.loss_combo)
        form.addRow("Reduction", self.reduction_combo)
        form.addRow("Initializer", self.initializer_combo)
        form.addRow("Seed", self.seed_spin)
        outer.addLayout(form)
        self.output_combo.code_changed.connect(self._on_output_chosen)
        for combo in (self.loss_combo, self.reduction_combo, self.initializer_combo):
            combo.code_changed.connect(self._on_structure_edit)
        self.seed_spin.valueChanged.connect(self._on_structure_edit)
        return group

    def _create_training_group(self) -> QGroupBox:
        group = QGroupBox("Training")
        form = QFormLayout(group)
        self.optimizer_combo = _combo("optimizerCombo", "optimizer", OPTIMIZERS, "Update rule")
        self.learning_rate_spin = QDoubleSpinBox(
            objectName="learningRateSpin", minimum=0.0, maximum=10.0, decimals=5,
            singleStep=0.01, toolTip="Learning rate (applied at the next step)")
        self.learning_rate_spin.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.batch_spin = QSpinBox(objectName="batchSizeSpin", minimum=0, maximum=100_000,
                                   toolTip="Samples per step; 0 = the whole training set")
        self.batch_spin.setSpecialValueText("full batch")
        self.regularization_combo = _combo("regularizationCombo", "regularization", REGULARIZATIONS,
                                           "Penalty on weights (not biases)")
        self.regularization_rate_spin = QDoubleSpinBox(
            objectName="regRateSpin", minimum=0.0, maximum=10.0, decimals=5, singleStep=0.001)
        self.regularization_rate_spin.setStepType(
            QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        form.addRow("Optimizer", self.optimizer_combo)
        form.addRow("Learning rate", self.learning_rate_spin)
        form.addRow("Batch size", self.batch_spin)
        form.addRow("Regularization", self.regularization_combo)
        form.addRow("Reg. rate", self.regularization_rate_spin)
        self.optimizer_combo.code_changed.connect(self._on_hyperparameter_edit)
        self.regularization_combo.code_changed.connect(self._on_hyperparameter_edit)
        for spin in (self.learning_rate_spin, self.batch_spin, self.regularization_rate_spin):
            spin.valueChanged.connect(self._on_hyperparameter_edit)
        return group

    # -- config in and out ----------------------------------------------------------------

    def set_csv_source(self, label: str) -> None:
        """Show a loaded CSV file as the current data source."""
        self._updating = True
        if self._csv_label:
            self.dataset_combo.removeItem(self.dataset_combo.findData(self._csv_label))
        self._csv_label = label
        if label:
            self.dataset_combo.add_option(label, label)
            self.dataset_combo.set_code(label)
        self._update_data_widgets()
        self._updating = False

    def set_config(self, config: TrainingConfig) -> None:
        """Show `config` without emitting change signals."""
        self._updating = True
        self.dataset_combo.set_code(config.dataset)
        info = DATASET_INFO.get(config.dataset)
        samples = config.samples if config.samples is not None else (
            info.default_samples if info else 200)
        noise = config.noise if config.noise is not None else (info.default_noise if info else 0)
        self.samples_spin.setValue(samples)
        self.noise_spin.setValue(noise)
        self.test_ratio_spin.setValue(config.test_ratio)
        self._set_rows(config.hidden)
        self.output_combo.set_code(config.output_activation)
        self.loss_combo.set_code(config.loss)
        self.reduction_combo.set_code(config.reduction)
        self.initializer_combo.set_code(config.initializer)
        self.seed_spin.setValue(config.seed)
        self.optimizer_combo.set_code(config.optimizer)
        self.learning_rate_spin.setValue(config.learning_rate)
        self.batch_spin.setValue(config.batch_size)
        self.regularization_combo.set_code(config.regularization)
        self.regularization_rate_spin.setValue(config.regularization_rate)
        self._set_features(config.features)
        self.standardize_check.setChecked(config.standardize)
        self._update_data_widgets()
        self._updating = False

    def set_task(self, task: str, description: str, editable: bool) -> None:
        """Show what the data's targets are taken as (`description`: engine/data/tasks.py
        describe's line); `editable` for a CSV, whose task may be switched."""
        self._updating = True
        self.task_combo.set_code(task)
        self.task_combo.setEnabled(editable)
        self.task_label.setText(description)
        # A wrapped label in a form gets squeezed when the dock is short: keep its lines.
        width = max(self.task_label.width(), TASK_LABEL_MIN_WIDTH)
        self.task_label.setMinimumHeight(self.task_label.heightForWidth(width))
        self._updating = False

    def set_input_width(self, width: int) -> None:
        """The current data's number of input columns: features need exactly 2."""
        self._input_width = width
        self.features_group.setEnabled(width == RAW_WIDTH)
        self.features_group.setToolTip(
            "" if width == RAW_WIDTH
            else f"Input features need 2-D data; this data has {width} input columns")

    def features(self) -> tuple[str, ...]:
        """The ticked features in canonical order; () when they equal the raw inputs (X1 and
        X2) or the data is not 2-D."""
        if self._input_width != RAW_WIDTH:
            return ()
        chosen = tuple(name for name, check in self.feature_checks.items() if check.isChecked())
        return () if chosen == RAW_FEATURES else chosen

    def config(self) -> TrainingConfig:
        """The configuration the widgets show."""
        dataset = self.dataset_combo.code()
        generated = dataset in DATASET_INFO
        return TrainingConfig(
            dataset=dataset,
            samples=self.samples_spin.value() if generated else None,
            noise=self.noise_spin.value() if generated else None,
            test_ratio=self.test_ratio_spin.value(),
            hidden=tuple(row.layer() for row in self._rows),
            output_activation=self.output_combo.code(),
            loss=self.loss_combo.code(),
            reduction=self.reduction_combo.code(),
            optimizer=self.optimizer_combo.code(),
            learning_rate=self.learning_rate_spin.value(),
            batch_size=self.batch_spin.value(),
            regularization=self.regularization_combo.code(),
            regularization_rate=self.regularization_rate_spin.value(),
            initializer=self.initializer_combo.code(),
            seed=self.seed_spin.value(),
            features=self.features(),
            standardize=self.standardize_check.isChecked(),
        )

    # -- hidden layer rows ----------------------------------------------------------------

    def _set_rows(self, layers: tuple[HiddenLayer, ...]) -> None:
        for row in self._rows:
            row.setParent(None)
            row.deleteLater()
        self._rows = []
        for layer in layers:
            self._append_row(layer)
        self.add_layer_button.setEnabled(len(self._rows) < MAX_HIDDEN_LAYERS)

    def _append_row(self, layer: HiddenLayer) -> None:
        row = HiddenLayerRow(layer, len(self._rows) + 1)
        row.changed.connect(self._on_structure_edit)
        row.remove_requested.connect(self._on_remove_layer)
        self._rows.append(row)
        self._rows_layout.addWidget(row)

    def _on_add_layer(self) -> None:
        previous = self._rows[-1].layer() if self._rows else HiddenLayer(4, "tanh")
        self._append_row(previous)
        self.add_layer_button.setEnabled(len(self._rows) < MAX_HIDDEN_LAYERS)
        self._on_structure_edit()

    def _on_remove_layer(self, row: HiddenLayerRow) -> None:
        self._rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        self.add_layer_button.setEnabled(True)
        self._on_structure_edit()

    # -- input features -------------------------------------------------------------------

    def _set_features(self, features: tuple[str, ...]) -> None:
        ticked = set(features or RAW_FEATURES)
        for name, check in self.feature_checks.items():
            check.setChecked(name in ticked)

    def _on_feature_toggled(self, name: str, on: bool) -> None:
        if self._updating:
            return
        if not on and not any(check.isChecked() for check in self.feature_checks.values()):
            # At least one input must stay: the last ticked box cannot be unticked.
            check = self.feature_checks[name]
            check.blockSignals(True)
            check.setChecked(True)
            check.blockSignals(False)
            return
        self.structure_changed.emit()

    # -- handlers -------------------------------------------------------------------------

    def _update_data_widgets(self) -> None:
        name = self.dataset_combo.code()
        generated = name in DATASET_INFO and name != "xor"
        self.samples_spin.setEnabled(generated)
        self.noise_spin.setEnabled(generated and DATASET_INFO[name].noise_applies)

    def _on_dataset_chosen(self, name: str) -> None:
        if self._updating:
            return
        info = DATASET_INFO.get(name)
        if info is not None:
            self._updating = True
            self.samples_spin.setValue(info.default_samples)
            self.noise_spin.setValue(info.default_noise)
            suited = suited_to_dataset(self.config(), name)
            if suited != self.config():  # e.g. digits: softmax, a test split, 32 hidden
                self.set_config(suited)
                self._updating = True
            self._updating = False
        self._update_data_widgets()
        self.structure_changed.emit()

    def _on_task_chosen(self, task: str) -> None:
        if not self._updating:
            self.task_changed.emit(task)

    def _on_output_chosen(self, output: str) -> None:
        """A loss that cannot go with the new output is replaced by the one that does
        (engine/data/learnability.py would refuse the pair), then the change is reported."""
        if self._updating:
            return
        paired = loss_for_output(output, self.loss_combo.code())
        if paired != self.loss_combo.code():
            self._updating = True
            self.loss_combo.set_code(paired)
            self._updating = False
        self.structure_changed.emit()

    def _on_structure_edit(self) -> None:
        if not self._updating:
            self.structure_changed.emit()

    def _on_hyperparameter_edit(self) -> None:
        if not self._updating:
            self.hyperparameters_changed.emit()


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("color: palette(mid);")
    return label
