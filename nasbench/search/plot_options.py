"""How a comparison's outputs are drawn and tabulated, not what they contain: the figure width
preset, the uncertainty band of the curves, and the baseline that `summary.tex` marks
significance against. None of it changes a result, so none of it is part of a config's identity.

Width presets (`width`):

- `default`: the screen sizes (about 5.5 x 3.8 inches, saved with a tight bounding box);
- `one-column`: 3.3 inches wide, `two-column`: 6.9 inches wide; the figure is exactly that
  wide on paper (fixed size, constrained layout, 300 dpi) and no text is under 7 points.

Bands (`band`): `se` mean +- standard error; `ci95` mean with a 95 % bootstrap interval of
the mean (`scipy.stats.bootstrap`, percentile method, fixed seed); `iqr` median with the
interquartile range.

In a config file these are the keys of `[plots]`: `width`, `band`, `baseline`.
"""
from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from typing import Any, Iterator

from ..errors import NasbenchError

#: figure width in inches of each preset (None: the screen sizes)
WIDTHS: dict[str, float | None] = {"default": None, "one-column": 3.3, "two-column": 6.9}
BANDS: tuple[str, ...] = ("se", "ci95", "iqr")
#: the smallest font size (points) any text of a preset figure has, at its print size
MIN_FONT_PT = 7.0
#: what each band is called on an axis label
BAND_WORDS: dict[str, str] = {"se": "mean ± s.e.", "ci95": "mean, 95% bootstrap CI", "iqr": "median, IQR"}
#: matplotlib settings of the print presets: every font at least MIN_FONT_PT
PRINT_RC: dict[str, Any] = {
    "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
    "legend.fontsize": 7, "legend.title_fontsize": 7, "figure.titlesize": 8, "lines.linewidth": 1.2,
    "axes.linewidth": 0.6, "savefig.dpi": 300,
}


class PlotOptionError(NasbenchError, ValueError):
    """A bad plot option (one line naming the option, the value and what is allowed)."""


@dataclass(frozen=True)
class PlotOptions:
    """Width preset, band of the curves and `summary.tex`'s baseline label.

    `baseline` None means `random` where the comparison has it, else no markers."""

    width: str = "default"
    band: str = "se"
    baseline: str | None = None

    def __post_init__(self) -> None:
        check_options(self.width, self.band, self.baseline, "plots.")

    @property
    def inches(self) -> float | None:
        """The preset's width in inches (None: screen sizes)."""
        return WIDTHS[self.width]

    @property
    def printed(self) -> bool:
        """True for a print preset (fixed width, fonts >= 7 pt)."""
        return self.inches is not None

    def figsize(self, default: tuple[float, float], ratio: float | None = None) -> tuple[float, float]:
        """The size of a figure whose screen size is `default`.

        Args:
            default: (width, height) in inches at the `default` preset.
            ratio: height / width at a print preset (default: the screen size's, capped at 0.9).

        Returns:
            (width, height) in inches.
        """
        w = self.inches
        if w is None:
            return default
        r = ratio if ratio is not None else min(0.9, default[1] / default[0])
        return (w, round(w * r, 3))

    @contextlib.contextmanager
    def style(self) -> Iterator[None]:
        """matplotlib's settings for this preset, while drawing and saving.

        Yields:
            Nothing; the settings hold inside the `with` block.
        """
        import matplotlib

        with matplotlib.rc_context(PRINT_RC if self.printed else {}):
            yield

    def to_dict(self) -> dict[str, Any]:
        """The options as a dict (for `config.json`)."""
        return asdict(self)


def check_options(width: Any, band: Any, baseline: Any, prefix: str = "--") -> None:
    """Check plot options, naming the first bad value.

    Args:
        width: a key of `WIDTHS`.
        band: one of `BANDS`.
        baseline: a strategy label (a non-empty string) or None.
        prefix: how the options are named in the message (`--` for flags, `plots.` for a file).

    Raises:
        PlotOptionError: a bad value.
    """
    if not isinstance(width, str) or width not in WIDTHS:
        raise PlotOptionError(f"{prefix}width must be one of {', '.join(WIDTHS)}, got {width!r}")
    if not isinstance(band, str) or band not in BANDS:
        raise PlotOptionError(f"{prefix}band must be one of {', '.join(BANDS)}, got {band!r}")
    if baseline is not None and (not isinstance(baseline, str) or not baseline.strip()):
        raise PlotOptionError(f"{prefix}baseline must be a strategy label of the comparison, got {baseline!r}")


def from_dict(d: Any) -> PlotOptions:
    """The options of a config file's `[plots]` table.

    Args:
        d: the table (a dict with some of width, band, baseline).

    Returns:
        The options.

    Raises:
        PlotOptionError: not a table, an unknown key or a bad value.
    """
    if not isinstance(d, dict):
        raise PlotOptionError(f"plots must be a table with keys width, band, baseline, got {d!r}")
    for k in d:
        if k not in ("width", "band", "baseline"):
            raise PlotOptionError(f"unknown key 'plots.{k}'; valid: width, band, baseline")
    return PlotOptions(**d)


__all__ = ["BANDS", "BAND_WORDS", "MIN_FONT_PT", "PRINT_RC", "PlotOptionError", "PlotOptions", "WIDTHS",
           "check_options", "from_dict"]
