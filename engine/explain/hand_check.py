"""Check my numbers: a hand-computed value of one factor of a Breakdown (engine/explain/explain.py)
judged right, one of the known mistakes (engine/explain/mistakes.py), or off by how much.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from engine.core.errors import DeltascopeError
from engine.core.notation import number
from engine.explain.explain import GRADIENT, SAMPLE_GRADIENT, UPSTREAM, Breakdown, Factor
from engine.explain.mistakes import Mistake, known_mistakes

# A typed value is never judged finer than this, relative (hand work rounds its steps).
HAND_PRECISION = 2e-3


class TypedValueError(DeltascopeError, ValueError):
    """A typed value that is not a number, or a factor this breakdown does not have."""


@dataclass(frozen=True)
class Diagnosis:
    """What a typed value says: correct, a recognised mistake, or an unexplained difference."""

    factor: str
    typed: float
    expected: float
    tolerance: float
    correct: bool
    mistake: Mistake | None
    message: str  # HTML

    @property
    def difference(self) -> float:
        return self.typed - self.expected


def parse_typed(text: str | float) -> tuple[float, float]:
    """A typed number and the precision its digits claim: one unit in the last typed digit
    ("0.0733" -> 0.0001). TypedValueError if it is not a finite number."""
    if not isinstance(text, str):
        text = repr(float(text))
    cleaned = text.strip().replace("\u2212", "-").replace(" ", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise TypedValueError(f"{text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise TypedValueError(f"{text.strip()!r} is not a finite number")
    exponent = Decimal(cleaned).as_tuple().exponent
    return value, 10.0 ** exponent if isinstance(exponent, int) else 0.0


def diagnose(breakdown: Breakdown, factor_name: str, typed: str | float) -> Diagnosis:
    """Judge a hand-computed value of one factor (FACTOR_NAMES; the shown sample's value, or
    the batch gradient for "gradient"): right, a recognised mistake, or off by how much."""
    if factor_name not in breakdown.factors:
        known = ", ".join(breakdown.factors)
        raise TypedValueError(f"this breakdown has no factor {factor_name!r} (known: {known})")
    value, last_digit = parse_typed(typed)
    factor = breakdown.factors[factor_name]
    expected = factor.value
    # as rounding to the typed digits would give it, or hand-rounding's relative error
    tolerance = max(0.5 * last_digit, HAND_PRECISION * abs(expected), 1e-12)
    if abs(value - expected) <= tolerance:
        return Diagnosis(factor_name, value, expected, tolerance, True, None,
                         f"Right: {factor.symbol} = {number(expected)} (yours {number(value)}, "
                         f"difference {number(value - expected, 2)}).")
    mistake = _matching_mistake(known_mistakes(breakdown).get(factor_name, ()), value, expected,
                                tolerance)
    return Diagnosis(factor_name, value, expected, tolerance, False, mistake,
                     _wrong_message(breakdown, factor, value, mistake))


def _matching_mistake(mistakes: tuple[Mistake, ...], value: float, expected: float,
                      tolerance: float) -> Mistake | None:
    """The mistake whose value is closest to the typed one, among those that are within the
    tolerance of it and distinguishable from the right value."""
    candidates = [mistake for mistake in mistakes
                  if abs(mistake.value - value) <= tolerance
                  and abs(mistake.value - expected) > tolerance]
    if not candidates:
        return None
    return min(candidates, key=lambda mistake: abs(mistake.value - value))


def _wrong_message(breakdown: Breakdown, factor: Factor, value: float,
                   mistake: Mistake | None) -> str:
    expected = factor.value
    difference = value - expected
    relative = f" ({number(100 * difference / expected, 3)} %)" if expected != 0 else ""
    text = (f"Differs: {factor.symbol} = {number(expected)}, yours {number(value)}, "
            f"off by {number(difference, 3)}{relative}.")
    if mistake is not None:
        where = ""
        if mistake.factor != factor.name and mistake.factor in breakdown.factors:
            where = f" (in {breakdown.factors[mistake.factor].symbol})"
        text += f"<br><b>Likely mistake: {mistake.title}</b>{where}: {mistake.explanation}."
    elif expected != 0 and (factor.name == SAMPLE_GRADIENT
                            or (factor.name == GRADIENT and breakdown.batch_size == 1
                                and breakdown.regularization_term == 0.0)):
        text += "<br>" + _which_factor(breakdown, value / expected)
    elif factor.name == GRADIENT:
        text += ("<br>Not a mistake I recognise. Check one sample's contribution, then the "
                 "factors, to find where it differs.")
    return text


def _which_factor(breakdown: Breakdown, ratio: float) -> str:
    """For an unexplained product: what each chain factor would be if it alone were off."""
    guesses = ", ".join(f"{factor.symbol} = {number(factor.value * ratio, 4)}"
                        for factor in breakdown.chain if factor.name != UPSTREAM
                        or breakdown.ref.kind == "weight")
    return (f"Not a mistake I recognise. Yours is {number(ratio, 4)} &times; the right value; "
            f"if one factor alone were off, it would be one of: {guesses}. Type a factor's "
            f"value to find which.")
