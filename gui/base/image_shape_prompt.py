"""The image-shape field of the Open Dataset flow: are a CSV's input columns an image?

Asked only for data that could be an image (at least MIN_IMAGE_INPUTS input columns) whose
column names do not already say so (`px_<row>_<column>`, engine/data/image_shape.py). The field is
pre-filled with the square shape when the width is a square number; empty means no image.
"""

from __future__ import annotations

import math

from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

MIN_IMAGE_INPUTS = 16
ASK_IMAGE_SHAPE = "?"  # open_dataset's image_shape: ask the person (never a valid shape)


def could_be_image(inputs: int) -> bool:
    return inputs >= MIN_IMAGE_INPUTS


def guessed_shape(inputs: int) -> str:
    """`8x8` for 64 inputs; '' when the width is not a square number."""
    side = math.isqrt(inputs)
    return f"{side}x{side}" if side * side == inputs else ""


def ask_image_shape(parent: QWidget, name: str, inputs: int) -> str | None:
    """The shape typed (e.g. '8x8', '' for not an image); None when cancelled."""
    text, accepted = QInputDialog.getText(
        parent, "Image inputs?",
        f"{name} has {inputs} input columns. If they are the pixels of an image, row by row, "
        "give its shape as ROWSxCOLUMNS (e.g. 8x8); leave empty if they are not.",
        QLineEdit.EchoMode.Normal, guessed_shape(inputs))
    return text.strip() if accepted else None
