"""The inspector's text: HTML for each part of a Breakdown (engine/explain/explain.py), with the
breakdown's own numbers. gui/panels/inspector.py lays these out and makes them clickable.
"""

from __future__ import annotations

import math

from engine.core.notation import html_to_plain, number, shown_index, sym_at
from engine.core.option_names import option_label
from engine.explain.explain import SIGMA_PRIME, UPSTREAM, Breakdown, Factor, SampleRow, SumTerm
from engine.training.snapshot import Snapshot
from gui.base.colors import CORRECT_TEXT, MUTED_TEXT, WRONG_TEXT


def signed(value: float) -> str:
    """A number for a product line: negative ones in parentheses."""
    text = number(value, 4)
    return f"({text})" if value < 0 else text


def full_precision(value: float) -> str:
    """A value with every digit it has (the shortest text that reads back bit for bit)."""
    return repr(float(value))


def parse_value(text: str) -> float:
    """A typed parameter value ("0.5", "-1e-3", "−2" with a real minus); ValueError, with a
    message for the person, when it is not a finite number."""
    cleaned = text.strip().replace("\u2212", "-")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"\u201c{text.strip()}\u201d is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"a weight or bias must be a finite number, not {cleaned}")
    return value


def sample_headers(breakdown: Breakdown) -> list[str]:
    """Column titles of the per-sample table, as plain text (a table takes no HTML)."""
    m, i = breakdown.ref.layer, breakdown.ref.row
    return [html_to_plain(breakdown.factors[UPSTREAM].symbol),
            html_to_plain(f"&sigma;&prime;({sym_at('z', m, i)})"),
            html_to_plain(f"&part;C/&part;{sym_at('a', m, i)}"),
            html_to_plain(sym_at("&delta;", m, i)), "product"]


def sample_cells(row: SampleRow) -> tuple[str, ...]:
    """One sample's row of that table; a dash where the chain has no separate factor."""
    return (number(row.upstream, 4), _optional_number(row.sigma_prime),
            _optional_number(row.dC_da), number(row.delta, 4), number(row.product, 4))


def _optional_number(value: float | None) -> str:
    return "—" if value is None else number(value, 4)


def colored(text: str, color: str) -> str:
    """HTML text in `color` (one of gui/base/colors.py's text colours)."""
    return f"<span style='color:{color}'>{text}</span>"


def muted(text: str) -> str:
    """HTML text in the muted colour of secondary notes."""
    return colored(text, MUTED_TEXT)


def factor_html(factor: Factor) -> str:
    """A factor's line: its symbol and value, its formula muted below."""
    return f"<b>{factor.symbol}</b> = {number(factor.value)}<br>{muted(factor.formula)}"


def term_html(breakdown: Breakdown, term: SumTerm) -> str:
    """Term k of a hidden neuron's sum: W^(m+1)_k,i x delta^(m+1)_k with its numbers."""
    m, i, k = breakdown.ref.layer, breakdown.ref.row, term.index
    return (f"k = {shown_index(k)}: {sym_at('W', m + 1, k, i)} &times; "
            f"{sym_at('&delta;', m + 1, k)}"
            f" = {signed(term.weight)} &times; {signed(term.delta)} = "
            f"{number(term.product, 4)}")


def header_html(breakdown: Breakdown, snapshot: Snapshot | None) -> str:
    """The parameter's symbol, what it connects, and the setting it is computed in."""
    ref, m = breakdown.ref, breakdown.ref.layer
    target = f"neuron {shown_index(ref.row)} of layer {m}"
    if ref.kind == "weight":
        source = (f"input {shown_index(ref.column)}" if m == 1
                  else f"neuron {shown_index(ref.column)} of layer {m - 1}")
        what = f"weight: {source} &rarr; {target}"
    else:
        what = f"bias of {target}"
    step = "" if snapshot is None else f", step {snapshot.step}"
    return (f"<span style='font-size:14pt'><b>{breakdown.symbol}</b></span>&nbsp; {what}"
            "<br>" + muted(f"{option_label('activation', breakdown.activation)} layer, "
                           f"{option_label('loss', breakdown.loss)} ({breakdown.reduction}), "
                           f"batch of {breakdown.batch_size}{step}"))


def values_html(breakdown: Breakdown) -> str:
    """Value, gradient, learning rate, update and the values before and after."""
    symbol, total = breakdown.symbol, breakdown.total_gradient
    plain_step = breakdown.learning_rate * total
    update = f"&Delta; = {number(breakdown.update)}"
    if abs(breakdown.update - plain_step) > 1e-9 * max(abs(breakdown.update), 1e-300):
        update += " " + muted(f"(the optimizer's own step, not &eta; &times; gradient = "
                              f"{number(plain_step, 4)})")
    rows = [
        ("value", f"{symbol} = {number(breakdown.value)}"),
        ("gradient, this batch", f"&part;C/&part;{symbol} = {number(total)}"),
        ("learning rate", f"&eta; = {number(breakdown.learning_rate)}"),
        ("update to apply", update),
        ("after this step", f"{symbol} &minus; &Delta; = "
         f"{number(breakdown.value - breakdown.update)}"),
    ]
    if breakdown.previous_value is not None:
        change = breakdown.value - breakdown.previous_value
        rows.append(("last step", f"{number(breakdown.previous_value)} &rarr; "
                     f"{number(breakdown.value)} "
                     + muted(f"({'+' if change >= 0 else ''}{number(change, 3)})")))
    cells = "".join(f"<tr><td style='color:{MUTED_TEXT}; white-space:nowrap'>{name}</td>"
                    f"<td>{value}</td></tr>" for name, value in rows)
    return f"<table cellspacing='0' cellpadding='2'>{cells}</table>"


def formula_html(breakdown: Breakdown) -> str:
    """The chain rule for this parameter, in symbols."""
    m, i = breakdown.ref.layer, breakdown.ref.row
    left = f"&part;C/&part;{breakdown.symbol}"
    names = " &times; ".join(factor.symbol for factor in breakdown.chain)
    if breakdown.scale == 1.0:
        batch = "&Sigma;<sub>s</sub>"
    else:
        batch = f"(1/{breakdown.batch_size}) &Sigma;<sub>s</sub>"
    text = f"<b>{left} = {batch} {names}</b>"
    if breakdown.is_output and SIGMA_PRIME in breakdown.factors:
        text += "<br>" + muted(f"output layer: &part;C/&part;{sym_at('a', m, i)} is the loss "
                               "derivative at this output")
    elif not breakdown.is_output:
        text += "<br>" + muted(f"hidden layer: &part;C/&part;{sym_at('a', m, i)} = "
                               "&Sigma;<sub>k</sub>"
                               f" {sym_at('W', m + 1, 'k', i)} {sym_at('&delta;', m + 1, 'k')}")
    return text


def product_html(breakdown: Breakdown) -> str:
    """The shown sample's chain: symbols, numbers and their product."""
    row = breakdown.rows[breakdown.sample]
    names = " &times; ".join(factor.symbol for factor in breakdown.chain)
    values = " &times; ".join(signed(factor.value) for factor in breakdown.chain)
    return (f"Sample {row.row}: {names} = {values} = <b>{number(row.product)}</b>")


def combination_html(breakdown: Breakdown) -> str:
    """How the per-sample contributions combine into the gradient (and the check)."""
    products = sum(row.product for row in breakdown.rows)
    count = breakdown.batch_size
    if breakdown.reduction == "mean":
        lines = [f"The cost is the mean over the batch, so the gradient is the mean of the {count}"
                 f" contributions: (1/{count}) &times; {signed(products)} = "
                 f"{number(breakdown.data_gradient)}"]
    else:
        lines = [f"The cost is the sum over the batch, so the gradient is the sum of the {count}"
                 f" contributions: {number(breakdown.data_gradient)}"]
    if breakdown.ref.kind == "bias" and count > 1:
        lines.append(muted("This is why batch code writes np.sum(delta, axis=0): each "
                           "neuron's &delta; added over the samples (rows), one number per "
                           "bias."))
    if breakdown.regularization_term != 0.0:
        lines.append(f"+ {breakdown.regularization.upper()} term "
                     f"({_regularization_formula(breakdown)}) = "
                     f"{number(breakdown.regularization_term)} &rarr; total "
                     f"<b>{number(breakdown.total_gradient)}</b>")
    elif breakdown.regularization != "none" and breakdown.ref.kind == "bias":
        lines.append(muted(f"No {breakdown.regularization.upper()} term: regularization "
                           "applies to weights only."))
    agrees = abs(breakdown.difference) <= 1e-12 * max(1.0, abs(breakdown.engine_gradient))
    mark, color = ("&#10003;", CORRECT_TEXT) if agrees else ("&#10007;", WRONG_TEXT)
    lines.append(colored(f"{mark} product = engine gradient "
                         f"(difference {number(breakdown.difference, 2)})", color))
    return "<br>".join(lines)


def _regularization_formula(breakdown: Breakdown) -> str:
    rate = number(breakdown.regularization_rate, 4)
    if breakdown.regularization == "l2":
        return f"&lambda; w = {rate} &times; {signed(breakdown.value)}"
    return f"&lambda; sign(w) = {rate} &times; {'+1' if breakdown.value >= 0 else '&minus;1'}"
