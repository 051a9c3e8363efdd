"""How long the pictures and curves take to draw (issue 13): a 28x28 mismatch picture (expected, yours,
the difference) at 80 columns, in truecolor, 256 colours and without colour, a heatmap, and curves
of 1,000 and 100,000 points. Each figure is the whole print: layout, colours and the escape codes
written to a (discarded) terminal. No torch, no worker: the tutor side only.

    python -m tutor.bench.drawing [RUNS]
"""

from __future__ import annotations

import io
import sys

import numpy as np
from rich.console import Console, RenderableType

from tutor.bench.stats import summarise, time_ms
from tutor.render.curves import CurvePlot
from tutor.render.heatmap import Heatmap
from tutor.render.pictures import PictureComparison


def _print_ms(renderable: RenderableType, system: str | None, runs: int, width: int = 80) -> dict:
    console = Console(file=io.StringIO(), width=width, color_system=system, force_terminal=True, no_color=False)

    def draw() -> None:
        console.print(renderable)
        console.file = io.StringIO()

    draw()  # the first print fills rich's caches (styles, colours): the figure is the steady state
    return summarise(time_ms(draw, runs))


def drawing_figures(runs: int = 50) -> dict:
    rng = np.random.default_rng(0)
    digit = np.zeros((28, 28), dtype=np.float32)
    digit[4:24, 12:16] = 1.0
    yours = np.clip(digit + rng.normal(0, 0.2, digit.shape), 0, 1)
    # A fresh renderable each run, as a new verdict makes one.
    comparison = lambda: PictureComparison(digit, yours, "x")  # noqa: E731
    steps = np.arange(100_000)
    return {
        "mismatch_28x28_80col_truecolor": _print_ms(_Fresh(comparison), "truecolor", runs),
        "mismatch_28x28_80col_256": _print_ms(_Fresh(comparison), "256", runs),
        "mismatch_28x28_80col_no_colour": _print_ms(_Fresh(comparison), None, runs),
        "heatmap_12x12_80col_truecolor": _print_ms(Heatmap(rng.random((12, 12))), "truecolor", runs),
        "curve_1k_points_80col": _print_ms(CurvePlot(np.exp(-steps[:1000] / 300), np.exp(-steps[:1000] / 200)),
                                           "truecolor", runs),
        "curve_100k_points_80col": _print_ms(CurvePlot(np.exp(-steps / 3e4) + rng.normal(0, 0.01, steps.size)),
                                             "truecolor", max(5, runs // 10)),
    }


class _Fresh:
    """Builds the renderable anew at each print, so that building it is measured too."""

    def __init__(self, make) -> None:
        self.make = make

    def __rich_console__(self, console, options):
        yield self.make()


def main(argv: list[str]) -> int:
    runs = int(argv[0]) if argv else 50
    for name, figure in drawing_figures(runs).items():
        print(f"{name:34} p50 {figure['p50']:7.2f} ms  (min {figure['min']:.2f}, max {figure['max']:.2f}, n {figure['n']})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
