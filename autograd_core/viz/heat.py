"""The gradient heat map: each tensor box filled with the color of log10 of its gradient norm,
and a legend of the scale. The gradients come from walk._all_gradients (the engine's backward)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from ..errors import InvalidArgumentError
from .style import _Diagram, _norm

#: The heat map's color ramp, coldest (smallest gradient norm) first: ColorBrewer RdYlBu, reversed.
HEAT_COLORS = ("#313695", "#4575b4", "#74add1", "#abd9e9", "#e0f3f8",
               "#fee090", "#fdae61", "#f46d43", "#d73027", "#a50026")
ZERO_GRAD_COLOR = "#bdbdbd"


@dataclass(frozen=True)
class _HeatScale:
    """Maps log10 gradient norms in [low, high] onto HEAT_COLORS, one equal-width bin per color."""

    low: float
    high: float

    @classmethod
    def covering(cls, norms: Iterable[float], fixed: tuple[float, float] | None) -> _HeatScale:
        if fixed is not None:
            low, high = float(fixed[0]), float(fixed[1])
            if not high > low:
                raise InvalidArgumentError(f"draw_graph: grad_norm_range must be (low, high) with "
                                           f"low < high (log10 units), got {fixed}")
            return cls(low, high)
        logs = [math.log10(n) for n in norms if n > 0 and math.isfinite(n)]
        if not logs:
            return cls(-1.0, 1.0)
        low, high = math.floor(min(logs)), math.ceil(max(logs))
        return cls(float(low), float(max(high, low + 1)))

    def color_index(self, norm: float) -> int:
        if not math.isfinite(norm):
            return len(HEAT_COLORS) - 1
        fraction = (math.log10(norm) - self.low) / (self.high - self.low)
        return min(max(int(fraction * len(HEAT_COLORS)), 0), len(HEAT_COLORS) - 1)

    def bin_edges(self) -> list[float]:
        step = (self.high - self.low) / len(HEAT_COLORS)
        return [self.low + i * step for i in range(len(HEAT_COLORS) + 1)]


def _font_color(fill: str) -> str:
    red, green, blue = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return "#ffffff" if 0.299 * red + 0.587 * green + 0.114 * blue < 140 else "#000000"


def _paint_heat(diagram: _Diagram, grads: dict[int, np.ndarray], fixed_range: tuple[float, float] | None,
                show_grad: bool) -> _HeatScale:
    """Fills each tensor box with the color of its gradient norm and adds the legend."""
    norms = {key: _norm(g) for key, g in grads.items()}
    scale = _HeatScale.covering(norms.values(), fixed_range)
    for tensor_id, key in diagram.tensor_keys.items():
        norm = norms.get(tensor_id)
        if norm is None:
            continue
        box = diagram.boxes[key]
        fill = ZERO_GRAD_COLOR if norm == 0 else HEAT_COLORS[scale.color_index(norm)]
        box.attrs["fillcolor"] = fill
        box.attrs["fontcolor"] = _font_color(fill)
        box.attrs["tooltip"] = box.attrs.get("tooltip", "") + f", |grad| = {norm:.3g}"
        if not show_grad:
            box.lines.append(f"|grad| {norm:.3g}")
    diagram.legend = _legend_html(scale)
    diagram.heat_scale = scale
    diagram.grad_norms = norms
    return scale


def _legend_html(scale: _HeatScale) -> str:
    edges = scale.bin_edges()
    cells = "".join(
        f'<td bgcolor="{color}"><font color="{_font_color(color)}">{10 ** edges[i]:.2g}</font></td>'
        for i, color in enumerate(HEAT_COLORS))
    return (f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="4">'
            f'<tr><td colspan="{len(HEAT_COLORS) + 2}"><b>|grad| (log10 scale, '
            f'bin lower bounds)</b></td></tr>'
            f'<tr><td bgcolor="{ZERO_GRAD_COLOR}">0</td>{cells}'
            f'<td bgcolor="#ffffff">no grad</td></tr></table>>')
