"""The notation of shared/MATH.md as text: sub/superscript characters for plain text (W²,
z¹₃), HTML fragments for rich text (W<sup>2</sup><sub>1,0</sub>), and numbers for display.

Every panel that writes symbols uses these, so a symbol reads the same everywhere.
"""

from __future__ import annotations

import html
import re

_SUPERSCRIPTS = str.maketrans("0123456789,+-\u2212", "⁰¹²³⁴⁵⁶⁷⁸⁹˒⁺⁻⁻")
_SUBSCRIPTS = str.maketrans("0123456789,+-\u2212ijk", "₀₁₂₃₄₅₆₇₈₉,₊₋₋ᵢⱼₖ")


def superscript(text: object) -> str:
    """`text` (a number, or digits, signs and commas) in superscript characters: W², a⁻¹."""
    return str(text).translate(_SUPERSCRIPTS)


def subscript(text: object) -> str:
    """`text` (a number, or digits, signs, commas and i, j, k) in subscript characters: z₃."""
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
