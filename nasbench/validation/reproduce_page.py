"""The results page of a reproduction of NAS-Bench-201's search comparison
(`docs/results/reproduction.md`): run `nasbench.validation.reproduce.reproduce`, print each
report, and write the page with its command, machine and date."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Sequence

from ..analysis.results_page import Provenance, text_block, write_page
from .reproduce import DatasetResult, ReproduceError, reproduce

#: the reproduction page's title and the text before the reports
REPRODUCTION_TITLE = "NAS-Bench-201 reproduction"
REPRODUCTION_INTRO = """\
NAS-Bench-201's Table 5 (Dong & Yang, ICLR 2020) rerun on the embedded tables, with the paper's
settings and each table's preset protocol (the `nas-bench-201` family: the 12-epoch signal and the
table's simulated-seconds budget, named on each report's first line). What the columns and verdicts
mean, and why the rows that differ differ: [reproduce NAS-Bench-201](../tutorials/reproduce-nb201.md)."""


def verdict_summary(results: Sequence[DatasetResult]) -> str:
    """Summarise the verdicts of a reproduction as Markdown bullets.

    Args:
        results: what `nasbench.validation.reproduce.reproduce` returned.

    Returns:
        One bullet with how many rerun rows lie within the paper's std on both columns, then one
        per dataset with each rerun row's test-accuracy difference in our standard errors.
    """
    rerun = [r for res in results for r in res.rows if r.test is not None]
    within = sum(r.test_verdict.within_std and r.valid_verdict.within_std for r in rerun)
    lines = [f"- {within} of the {len(rerun)} rerun rows lie within the paper's standard deviation on both "
             "columns (the `std` verdict)."]
    for res in results:
        parts = []
        for r in res.rows:
            if r.test is None:
                continue
            v = r.test_verdict
            z = v.diff / v.se if v.se > 0 else math.inf
            parts.append(f"{r.method} {v.diff:+.2f} ({z:+.1f} SE{', within 2 SE' if v.within_2se else ''})")
        lines.append(f"- {res.dataset}, test accuracy against the paper: " + "; ".join(parts) + ".")
    return "\n".join(lines)


def write_reproduction_page(path: str | os.PathLike, results: Sequence[DatasetResult], reports: Sequence[str],
                            command: str, seconds: float | None = None) -> Path:
    """Write the results page of a NAS-Bench-201 reproduction.

    Args:
        path: the Markdown file (`docs/results/reproduction.md` for the documentation's page).
        results: what `nasbench.validation.reproduce.reproduce` returned.
        reports: the reports it emitted, in order (shown verbatim on the page).
        command: the command line that ran it.
        seconds: its wall time.

    Returns:
        The path written.
    """
    body = ("The output, verbatim:\n\n" + text_block("\n".join(reports))
            + "\n\nRead from the verdicts above:\n\n" + verdict_summary(results))
    return write_page(path, REPRODUCTION_TITLE, body, Provenance(command, seconds), REPRODUCTION_INTRO)


def reproduce_to_page(page: str | os.PathLike, command: str, datasets: Sequence[str], **kwargs: Any
                      ) -> list[DatasetResult]:
    """Run `nasbench.validation.reproduce.reproduce`, printing each report, then write its results page.

    Args:
        page: the Markdown file to write; its folder must exist (checked before anything runs).
        command: the command line shown on the page, e.g. `nasbench reproduce nb201 --runs 500`.
        datasets: the datasets to reproduce (names from `nasbench.validation.reproduce.DATASETS`).
        **kwargs: the other arguments of `nasbench.validation.reproduce.reproduce` (all but `emit`).

    Returns:
        One `DatasetResult` per dataset.

    Raises:
        nasbench.validation.reproduce.ReproduceError: the page's folder does not exist, or an input is invalid.
    """
    folder = Path(page).parent
    if not folder.is_dir():
        raise ReproduceError(f"--page {page}: folder {folder} does not exist")
    reports: list[str] = []

    def emit(text: str) -> None:
        print(text, flush=True)
        reports.append(text)

    t0 = time.perf_counter()
    results = reproduce(datasets, emit=emit, **kwargs)
    write_reproduction_page(page, results, reports, command, time.perf_counter() - t0)
    return results
