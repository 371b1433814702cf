"""Rebuild the embedded NAS-Bench-201 tables (data/nb201-cifar10.h5, nb201-cifar100.h5,
nb201-imagenet16-120.h5) from the published results in ../shared/data, with the project's own csv
importer, check them against the official NATS-Bench records of the cells the sample holds, and
check that they are the committed files: the same table SHA-256 (arrays and metadata) and the same
file bytes. Zero-cost proxies computed into data/proxies/<table>.jsonl (scripts/compute_proxies.py)
are folded in as the table's ``proxies/<name>`` group (--no-proxies leaves them out).

    python scripts/build_nb201_tables.py                   # check only: exit 1 on any difference
    python scripts/build_nb201_tables.py --write           # (re)write data/nb201-*.h5
    python scripts/build_nb201_tables.py --shared DIR --tables nb201-cifar100

Exit codes: 0 all agree, 1 a check failed, 2 bad input (missing folder, unknown table).
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nasbench.tables.nb201_tables import (TABLE_NAMES, build_table, check_12_epoch_against_nats,  # noqa: E402
                                   check_against_nats, published_mean_evidence, spec_of)
from nasbench.training.nb201_recipe import with_training_spec  # noqa: E402
from nasbench.tables.hdf5 import read_table, write_table  # noqa: E402
from nasbench.zero_cost.store import with_proxies  # noqa: E402


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"),
                    help="the shared reference data folder (holds nasbench201/ and nats-tss-simple-sample/)")
    ap.add_argument("--data", default=str(ROOT / "data"), help="where the committed tables live")
    ap.add_argument("--tables", default=",".join(TABLE_NAMES), help=f"comma-separated, of {', '.join(TABLE_NAMES)}")
    ap.add_argument("--write", action="store_true", help="write the tables into --data instead of only checking")
    ap.add_argument("--proxies", default=str(ROOT / "data" / "proxies"),
                    help="folder of proxy journals <table>.jsonl folded into the tables")
    ap.add_argument("--no-proxies", action="store_true", help="build the tables without zero-cost proxies")
    args = ap.parse_args(argv)
    shared, data = Path(args.shared), Path(args.data)
    if not (shared / "nasbench201").is_dir():
        print(f"build_nb201_tables: {shared / 'nasbench201'} not found; give --shared DIR", file=sys.stderr)
        return 2
    try:
        specs = [spec_of(n.strip()) for n in args.tables.split(",") if n.strip()]
    except ValueError as exc:
        print(f"build_nb201_tables: {exc}", file=sys.stderr)
        return 2
    sample = shared / "nats-tss-simple-sample"
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for spec in specs:
            bench = with_training_spec(build_table(spec, shared), spec.name)  # recipe + data spec
            journal = Path(args.proxies) / f"{spec.name}.jsonl"
            if not args.no_proxies and journal.exists():
                bench = with_proxies(bench, journal)
            built = Path(tmp) / f"{spec.name}.h5"
            digest = write_table(built, bench)
            raw = built.read_bytes()
            print(f"{spec.name}: {len(bench.covered):,} cells, metrics {', '.join(bench.metric_names)}"
                  f"{'; proxies ' + ', '.join(bench.proxies) if bench.proxies else ''}; "
                  f"{len(raw) / 1e6:.2f} MB ({len(gzip.compress(raw, 9)) / 1e6:.2f} MB gzipped); sha256 {digest}")
            if "valid_acc_published_mean" in bench.metrics:
                for line in bench.meta.notes.split("; "):
                    if line.startswith("valid_acc_published_mean"):
                        print("  " + line.split(". The table")[0])
                ev = published_mean_evidence(bench)
                print(f"  {ev.metric} (seed mean only) in the {ev.cells:,} two-run cells above 80 % whose published "
                      f"mean differs: std of its difference to the published mean {ev.sd_to_published:.3f}, "
                      f"to the mean of both runs {ev.sd_to_all_runs:.3f} (where the means agree, {ev.cells_agreeing:,} "
                      f"cells: {ev.sd_agreeing:.3f})")
            if sample.is_dir():
                checks = check_against_nats(read_table(built), spec, sample)
                bad = [c for c in checks if not c.ok]
                print(f"  against the official NATS-Bench records ({sample.name}): {len(checks) - len(bad)} of "
                      f"{len(checks)} agree")
                for c in bad:
                    print("  " + c.line())
                failed += bool(bad)
                checks12 = check_12_epoch_against_nats(read_table(built), spec, sample)
                bad12 = [c for c in checks12 if not c.ok]
                print(f"  12-epoch schedule against the official records: {len(checks12) - len(bad12)} of "
                      f"{len(checks12)} agree")
                for c in bad12:
                    print("  " + c.line())
                failed += bool(bad12)
            else:
                print(f"  {sample} not found: official records not checked")
            target = data / built.name
            if args.write:
                target.write_bytes(raw)
                print(f"  wrote {target}")
                continue
            if not target.exists():
                print(f"  DIFFERS: {target} does not exist (run with --write)")
                failed += 1
                continue
            committed = read_table(target).sha256
            same_bytes = file_sha256(target) == hashlib.sha256(raw).hexdigest()
            print(f"  committed {target.name}: table sha256 {'matches' if committed == digest else 'DIFFERS: ' + committed}"
                  f", file bytes {'identical' if same_bytes else 'DIFFER'}")
            failed += committed != digest or not same_bytes
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
