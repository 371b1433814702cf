"""Making and saving a figure under a `PlotOptions` preset: screen
sizes with a tight bounding box at 150 dpi, or a print preset at its exact width (constrained
layout, 300 dpi, so that a figure placed at 3.3 or 6.9 inches shows every font at its size).
Every figure is written as PNG and PDF."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..util.atomic import atomic_path, check_dir, ensure_dir
from ..search.plot_options import PlotOptions

DEFAULT = PlotOptions()


def pyplot():
    """`matplotlib.pyplot` on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def new_figure(opts: PlotOptions | None, size: tuple[float, float], ratio: float | None = None,
               **subplots: Any):
    """`plt.subplots` at the preset's size.

    Args:
        opts: the options (None: screen sizes).
        size: (width, height) in inches at screen size.
        ratio: height / width at a print preset (default: the screen size's, at most 0.9).
        **subplots: passed to `plt.subplots` (nrows, ncols, sharex, ...).

    Returns:
        (figure, axes) as `plt.subplots` returns them.
    """
    opts = opts or DEFAULT
    plt = pyplot()
    if opts.printed:
        return plt.subplots(figsize=opts.figsize(size, ratio), layout="constrained", **subplots)
    return plt.subplots(figsize=size, **subplots)


def save(fig, out: Path, stem: str, opts: PlotOptions | None = None) -> list[Path]:
    """Write `out/stem.png` and `out/stem.pdf` and close the figure.

    Args:
        fig: the figure.
        out: the folder (created if missing).
        stem: the file name without extension.
        opts: the options the figure was made with (None: screen sizes).

    Returns:
        The two paths.
    """
    opts = opts or DEFAULT
    check_dir(out)  # a planted `figures` link is refused
    ensure_dir(out)
    paths = []
    for ext in ("png", "pdf"):
        p = out / f"{stem}.{ext}"
        with atomic_path(p) as tmp:  # never written through a planted link
            if opts.printed:
                fig.savefig(tmp, format=ext, dpi=300)
            else:
                fig.savefig(tmp, format=ext, dpi=150, bbox_inches="tight")
        paths.append(p)
    pyplot().close(fig)
    return paths


__all__ = ["new_figure", "pyplot", "save"]
