"""The notation of shared/MATH.md as text: sub/superscript characters for plain text (W²,
z¹₃), HTML fragments for rich text (W<sup>2</sup><sub>1,0</sub>), and numbers for display.

Every panel that writes symbols uses these, so a symbol reads the same everywhere.
"""

from __future__ import annotations

import html
import math
import re

_SUPERSCRIPTS = str.maketrans("0123456789,+-\u2212", "⁰¹²³⁴⁵⁶⁷⁸⁹˒⁺⁻⁻")
_SUBSCRIPTS = str.maketrans("0123456789,+-\u2212ijks", "₀₁₂₃₄₅₆₇₈₉,₊₋₋ᵢⱼₖₛ")


def superscript(text: object) -> str:
    """`text` (a number, or digits, signs and commas) in superscript characters: W², a⁻¹."""
    return str(text).translate(_SUPERSCRIPTS)


def subscript(text: object) -> str:
    """`text` (a number, or digits, signs, commas and i, j, k, s) in subscript characters: z₃."""
    return str(text).translate(_SUBSCRIPTS)


def sym(base: str, sup: object = "", sub: object = "") -> str:
    """`base` with an optional superscript and subscript, as HTML."""
    text = base
    if sup != "":
        text += f"<sup>{sup}</sup>"
    if sub != "":
        text += f"<sub>{sub}</sub>"
    return text


def html_to_plain(fragment: str) -> str:
    """An HTML fragment (as `sym` writes) as plain text, with sub/superscript characters."""
    text = re.sub(r"<sup>(.*?)</sup>", lambda match: superscript(match.group(1)), fragment)
    text = re.sub(r"<sub>(.*?)</sub>", lambda match: subscript(match.group(1)), text)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def number(value: float, digits: int = 6) -> str:
    """A value for display: `digits` significant digits, a real minus sign."""
    return f"{value + 0.0:.{digits}g}".replace("-", "\u2212")  # + 0.0: no "-0"


def pretty_formula(formula: str, as_html: bool = False) -> str:
    """An engine formula ("1 - a^2") in display typography: "1 − a²" (or HTML entities)."""
    minus, squared = ("&minus;", "&sup2;") if as_html else ("\u2212", "\u00b2")
    return formula.replace(" - ", f" {minus} ").replace("^2", squared)


# -- the one notation of every symbol shown to people (README: "Notation") -------------------
#
# Indices are 1-based, like most textbooks (Nielsen's w^l_jk, Goodfellow et al.): the first
# input is x₁, the first neuron of hidden layer 1 is h¹₁, and W²₁,₃ is the weight from
# neuron 3 of layer 1 into neuron 1 of layer 2. Layers are numbered as their weights are:
# layer 0 is the input, layer m has W^m and b^m, layer L is the output. The code indexes
# arrays from 0 (W^m[i, j] in NumPy, weight files, sessions); only what people read is
# 1-based, and every such text is made here from the code's 0-based positions.

INDEX_BASE = 1
GRADIENT = "∂C/∂"  # the gradient of the cost C with respect to what follows
GRADIENT_HTML = "&part;C/&part;"


def shown_index(index: int) -> int:
    """The 1-based number people read for a 0-based array position."""
    return int(index) + INDEX_BASE


def _indices(indices: tuple[object, ...]) -> str:
    """Comma-joined subscript text: integers are 0-based positions (shown 1-based), strings
    (i, j, k, L) are kept as they are."""
    return ",".join(str(shown_index(i)) if isinstance(i, int) else str(i) for i in indices)


def sym_at(base: str, layer: object, *indices: object) -> str:
    """`base` with layer superscript and 1-based subscripts, as HTML: sym_at("W", 2, 0, 2) is
    W<sup>2</sup><sub>1,3</sub>. Integer indices are 0-based positions; strings stay."""
    return sym(base, layer, _indices(indices))


def plain_at(base: str, layer: object, *indices: object) -> str:
    """`sym_at` as plain text with sub/superscript characters: W²₁,₃."""
    return base + superscript(layer if layer != "" else "") + subscript(_indices(indices))


def input_name(index: int) -> str:
    """The `index`-th (0-based) network input: x₁, x₂, ..."""
    return plain_at("x", "", index)


def neuron_name(depth: int, layer: int, index: int) -> str:
    """A neuron of a network with `depth` weight layers: x₁ (input), h¹₁ (hidden), y₁
    (output); `layer` 0..depth, `index` 0-based."""
    if layer == 0:
        return input_name(index)
    if layer == depth:
        return plain_at("y", "", index)
    return plain_at("h", layer, index)


def weight_name(layer: int, row: int, column: int) -> str:
    """W^layer from neuron `column` of layer-1 into neuron `row` (0-based): W²₁,₃."""
    return plain_at("W", layer, row, column)


def bias_name(layer: int, row: int) -> str:
    """b^layer of neuron `row` (0-based): b²₁."""
    return plain_at("b", layer, row)


def gradient_of(symbol: str) -> str:
    """∂C/∂ + a plain symbol: ∂C/∂W²₁,₃."""
    return GRADIENT + symbol


def matrix_gradient(kind: str, layer: int) -> str:
    """∂C/∂W² or ∂C/∂b² (`kind` "weight" or "bias")."""
    return GRADIENT + ("W" if kind == "weight" else "b") + superscript(layer)


def norm_name(layer: int | None = None) -> str:
    """‖∂C/∂W²‖, the Frobenius norm of a layer's weight gradient (‖∂C/∂Wᵐ‖ for any layer)."""
    return "‖" + GRADIENT + "W" + (superscript(layer) if layer is not None else "ᵐ") + "‖"


def layer_name(layer: int) -> str:
    """'layer 2' (layer 0 is the input)."""
    return f"layer {layer}"


def feature_name(feature_id: str) -> str:
    """The display name of an input feature's code name: x1 → x₁, x1^2 → x₁², x1*x2 → x₁x₂,
    sin(x1) → sin x₁; an unknown name is returned as it is (a CSV column's own name)."""
    match = re.fullmatch(r"(sin\()?x(\d+)(\))?(\^2)?(?:\*x(\d+))?", feature_id)
    if match is None:
        return feature_id
    sine, first, close, square, second = match.groups()
    if bool(sine) != bool(close):
        return feature_id
    text = "x" + subscript(first)
    if square:
        text += "²"
    if second:
        text += "x" + subscript(second)
    return f"sin {text}" if sine else text


def scientific(value: float, digits: int = 2) -> str:
    """A tick or scale label readable at any magnitude: 0.25, 12.5, or 3.1e−13 (`digits`
    significant digits, a real minus sign)."""
    value = float(value) + 0.0
    if value == 0 or not math.isfinite(value):
        return number(value, digits)
    if 1e-3 <= abs(value) < 1e4:
        return number(value, digits)
    mantissa, exponent = f"{value:.{max(digits - 1, 0)}e}".split("e")
    return f"{mantissa}e{int(exponent)}".replace("-", "\u2212")


def array_index_note(variable: str = "W2") -> str:
    """How the window's 1-based names map to 0-based arrays, for exported code and models."""
    return (f"Arrays count from 0, the window's names from 1: {weight_name(2, 0, 2)} in "
            f"Deltascope is {variable}[0, 2] here.")


# Activations as functions in formulas (a¹₃ = tanh(z¹₃), σ′); prose uses the readable names
# of engine/core/option_names.py ("Leaky ReLU layer").
ACTIVATION_FUNCTIONS = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU",
                        "leaky_relu": "leakyReLU", "linear": "identity", "softmax": "softmax"}


def activation_function(code: str) -> str:
    """An activation's name in a formula: σ for sigmoid, leakyReLU for leaky_relu."""
    return ACTIVATION_FUNCTIONS.get(code, code)
