"""Nothing lost, nothing followed: files read back are verified, writes never follow a planted link,
one writer per journal, refused runs change nothing. Table-driven: each bad case is a row with its
expected exit code and message fragment (exit 2, at most two lines, no traceback). The comparisons
run on SYNTHETIC tables of tests/synthetic.py (invented numbers; mechanics only)."""
from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import shutil
from pathlib import Path

import pytest

from nasbench.util.checksummed import DamagedFile, read_run_file, run_file_bytes
from nasbench.cli import main
from nasbench.search.runner import ConfigError, StrategySpec
from nasbench.util.locking import exclusive
from synthetic import synthetic_table


@pytest.fixture(scope="module")
def tables(synthetic_tables):
    """conftest's a.h5 and b.h5 (4 epochs each), and one.h5 (1 epoch: a single fidelity level)."""
    from nasbench.tables.hdf5 import write_table

    write_table(synthetic_tables / "one.h5", synthetic_table(seed=2, epochs=1))
    return synthetic_tables


def _compare(table: Path, out: Path, *extra: str) -> list[str]:
    return ["compare", "--table", str(table), "--strategies", "random,evolution", "--runs", "3", "--budget", "20",
            "--out", str(out), "--no-plots", "--no-progress", *extra]


@pytest.fixture(scope="module")
def finished(tables, tmp_path_factory):
    """A finished comparison (its figures too) that tests copy before damaging."""
    out = tmp_path_factory.mktemp("fin") / "res"
    assert main(_compare(tables / "a.h5", out)) == 0
    assert main(["plot", str(out)]) == 0
    return out


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst


def _refused(code: int, capsys, fragment: str, want: int = 2) -> str:
    err = capsys.readouterr().err
    assert code == want, err
    lines = err.strip().splitlines()
    assert 1 <= len(lines) <= 2 and "Traceback" not in err, err
    assert fragment in err, err
    return err


def _tree(path: Path) -> dict[str, bytes | str]:
    """Every file's bytes and every link's target below ``path``."""
    out: dict[str, bytes | str] = {}
    for p in sorted(path.rglob("*")):
        if p.is_symlink():
            out[str(p.relative_to(path))] = "-> " + os.readlink(p)
        elif p.is_file():
            out[str(p.relative_to(path))] = p.read_bytes()
    return out


# -- 1. run files: cut or altered at any point, resume redoes the run, byte for byte ----------------
def _cut_mid_line(b: bytes) -> bytes:
    return b[: b.index(b"\n", len(b) // 2) - 3]


def _cut_at_line(b: bytes) -> bytes:
    return b[: b.index(b"\n", len(b) // 2) + 1]


def _no_trailer(b: bytes) -> bytes:
    return b[: b.rindex(b"# nasbench run file:")]


def _altered(b: bytes) -> bytes:
    i = b.index(b"\n") + 1 + b[b.index(b"\n") + 1:].index(b",") - 1
    return b[:i] + (b"7" if b[i:i + 1] != b"7" else b"8") + b[i + 1:]


def _cut_in_trailer(b: bytes) -> bytes:
    return b[:-10]


RUN_FILE_DAMAGE = [
    ("mid-line", _cut_mid_line, "no checksum line"),
    ("line boundary", _cut_at_line, "no checksum line"),
    ("trailer removed (a file of before)", _no_trailer, "no checksum line"),
    ("inside the trailer", _cut_in_trailer, "no checksum line"),
    ("a digit altered", _altered, "does not match its SHA-256"),
    ("emptied", lambda b: b"", "no checksum line"),
]


@pytest.mark.parametrize("name,damage,fragment", RUN_FILE_DAMAGE, ids=[c[0] for c in RUN_FILE_DAMAGE])
def test_resume_redoes_a_cut_or_altered_run_file(tables, finished, tmp_path, capsys, name, damage, fragment):
    out = _copy(finished, tmp_path / "res")
    victim = out / "runs" / "evolution" / "00001.csv"
    whole, table = victim.read_bytes(), (out / "results.csv").read_bytes()
    victim.write_bytes(damage(whole))
    with pytest.raises(DamagedFile, match=fragment.replace("(", r"\(")):
        read_run_file(victim)
    code = main(_compare(tables / "a.h5", out, "--resume"))
    err = capsys.readouterr().err
    assert code == 0, err
    said = [ln for ln in err.splitlines() if "redoing" in ln]
    assert len(said) == 1 and said[0].startswith(f"nasbench compare: {victim}: ") and fragment in said[0], err
    assert victim.read_bytes() == whole and (out / "results.csv").read_bytes() == table


def test_run_file_trailer_counts_rows_and_hashes_the_rest(tmp_path):
    p = tmp_path / "r.csv"
    p.write_bytes(run_file_bytes("a,b\n1,2\n3,4\n"))
    assert read_run_file(p) == "a,b\n1,2\n3,4\n"
    assert p.read_bytes().endswith(b"rows=2 sha256=" + p.read_bytes()[-65:-1] + b"\n")
    p.write_bytes(p.read_bytes().replace(b"3,4\n", b""))
    with pytest.raises(DamagedFile, match="1 rows where its checksum line records 2"):
        read_run_file(p)


RESULTS_DAMAGE = [
    ("cut at a line boundary", lambda b: b[: b.rindex(b"\n", 0, len(b) - 1) + 1], "rows where provenance.json records"),
    ("a value altered", lambda b: b.replace(b",1,", b",2,", 1), "does not match the SHA-256 provenance.json records"),
    ("provenance cut", None, "provenance.json: not valid JSON"),
]


@pytest.mark.parametrize("name,damage,fragment", RESULTS_DAMAGE, ids=[c[0] for c in RESULTS_DAMAGE])
def test_a_damaged_results_table_is_refused_in_one_line(finished, tmp_path, capsys, name, damage, fragment):
    out = _copy(finished, tmp_path / "res")
    if damage is None:
        p = out / "provenance.json"
        p.write_bytes(p.read_bytes()[:-40])
    else:
        p = out / "results.csv"
        p.write_bytes(damage(p.read_bytes()))
    _refused(main(["plot", str(out)]), capsys, fragment)


# -- 2. planted links: refused naming the path, the target untouched ------------------------------
# (where to plant, "file" or "dir" link, the command: "resume" or "plot", expected exit, fragment)
PLANTED = [
    ("runs/random/00001.csv.tmp", "file", "resume", 2, "00001.csv.tmp is a symbolic link"),
    ("results.csv.tmp", "file", "resume", 2, "results.csv.tmp is a symbolic link"),
    ("config.json.tmp", "file", "resume", 2, "config.json.tmp is a symbolic link"),
    ("provenance.json.tmp", "file", "resume", 2, "provenance.json.tmp is a symbolic link"),
    ("summary.csv.tmp", "file", "resume", 2, "summary.csv.tmp is a symbolic link"),
    ("pairs.csv.tmp", "file", "resume", 2, "pairs.csv.tmp is a symbolic link"),
    ("runs/random", "dir", "resume", 2, "runs/random is a symbolic link"),
    ("runs", "dir", "resume", 2, "runs is a symbolic link"),
    ("figures", "dir", "plot", 2, "figures is a symbolic link"),
    ("figures/final_test.png.tmp", "file", "plot", 0, ""),  # figures are drawn in a private folder
    # the temporary names of before are never written: ignored, their targets untouched
    ("runs/random/00001.tmp", "file", "resume", 0, ""),
    ("summary.tmp", "file", "resume", 0, ""),
    ("results.tmp", "file", "resume", 0, ""),
]


@pytest.mark.parametrize("where,kind,command,code,fragment", PLANTED, ids=[c[0] for c in PLANTED])
def test_a_planted_link_is_refused_and_its_target_untouched(tables, finished, tmp_path, capsys, where, kind,
                                                             command, code, fragment):
    out = _copy(finished, tmp_path / "res")
    (out / "runs" / "random" / "00001.csv").unlink()  # so that the resume writes a run file
    victim = tmp_path / "victim"
    if kind == "dir":
        victim.mkdir()
        (victim / "00001.csv").write_text("precious\n")
        (victim / "final_test.png").write_text("precious\n")
    else:
        victim.write_text("precious\n")
    link = out / where
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    link.unlink(missing_ok=True)
    link.symlink_to(victim, target_is_directory=kind == "dir")
    before = _tree(victim) if kind == "dir" else victim.read_bytes()
    argv = _compare(tables / "a.h5", out, "--resume") if command == "resume" else ["plot", str(out)]
    rc = main(argv)
    if code == 2:
        assert str(link) in _refused(rc, capsys, fragment)
    else:
        assert rc == 0, capsys.readouterr().err
    assert (_tree(victim) if kind == "dir" else victim.read_bytes()) == before
    assert link.is_symlink()


def test_a_refusal_names_the_planted_path(tables, finished, tmp_path, capsys):
    out = _copy(finished, tmp_path / "res")
    (out / "results.csv.tmp").symlink_to(tmp_path / "victim")
    err = _refused(main(_compare(tables / "a.h5", out, "--resume")), capsys, "is a symbolic link")
    assert str(out / "results.csv.tmp") in err and not (tmp_path / "victim").exists()


def test_a_leftover_temporary_file_does_not_stop_a_resume(tables, finished, tmp_path, capsys):
    out = _copy(finished, tmp_path / "res")
    table = (out / "results.csv").read_bytes()
    (out / "results.csv.tmp").write_text("half a table, left by kill -9")
    (out / "runs" / "random" / "00002.csv").unlink()
    assert main(_compare(tables / "a.h5", out, "--resume")) == 0, capsys.readouterr().err
    assert (out / "results.csv").read_bytes() == table


# -- 3. one writer per proxies journal; a journal cut or altered -----------------------------------
def _own_data_table(tmp_path: Path) -> Path:
    """A small table 'trained here' on digits with a C=2, N=1 recipe (the proxies' own-data path)."""
    from nasbench.tables.tabular import TabularBenchmark
    from nasbench.tables.hdf5 import write_table

    base = synthetic_table()
    meta = dataclasses.replace(base.meta, recipe={"C": 2, "N": 1, "epochs": 4},
                               extra={"data": {"dataset": "digits", "downscale": 1, "split_seed": 0, "subset_seed": 0,
                                               "train_size": None, "valid_size": None, "test_size": None}})
    path = tmp_path / "t.h5"
    write_table(path, TabularBenchmark(meta=meta, arch_row=base.arch_row, row_arch=base.row_arch, seeds=base.seeds,
                                       epochs=base.epochs, metrics=base.metrics, params=base.params))
    return path


@pytest.fixture(scope="module")
def journal_of_3(tmp_path_factory):
    d = tmp_path_factory.mktemp("prox")
    path = _own_data_table(d)
    assert main(["proxies", str(path), "--proxies", "synflow", "--limit", "3", "--no-progress"]) == 0
    return path, path.with_name("t.proxies.jsonl")


def _proxies(path: Path, *extra: str) -> list[str]:
    return ["proxies", str(path), "--proxies", "synflow", "--no-progress", *extra]


def test_proxies_journal_cut_mid_line_is_cut_back_with_a_note(journal_of_3, tmp_path, capsys):
    from nasbench.zero_cost.compute import read_journal

    src, jsrc = journal_of_3
    path, journal = tmp_path / "t.h5", tmp_path / "t.proxies.jsonl"
    shutil.copy(src, path)
    whole = jsrc.read_bytes()
    journal.write_bytes(whole + b'{"class": 77, "index": 12, "seconds": {"syn')  # a kill mid-write
    assert len(read_journal(journal)[1]) == 3  # the cut line is left out when read
    assert main(_proxies(path, "--limit", "4")) == 0
    err = capsys.readouterr().err
    assert "its last line was cut short" in err and len(err.strip().splitlines()) == 1, err
    raw = journal.read_bytes()
    assert raw.startswith(whole) and raw.count(b"\n") == whole.count(b"\n") + 1 and raw.endswith(b"\n")
    assert all("crc" in json.loads(line) for line in raw.splitlines())
    assert len(read_journal(journal)[1]) == 4


def _alter_line(n: int, how):
    def f(raw: bytes) -> bytes:
        lines = raw.split(b"\n")
        lines[n - 1] = how(lines[n - 1])
        return b"\n".join(lines)
    return f


# (what, damage of the journal's bytes, expected fragment): each refused in one line, nothing appended
JOURNAL_DAMAGE = [
    ("a value altered", _alter_line(2, lambda b: b.replace(b'"synflow": ', b'"synflow": 1')), "line 2 is damaged"),
    ("a middle line cut", _alter_line(2, lambda b: b[:20]), "line 2 is damaged (not JSON"),
    ("a line that is an array", _alter_line(3, lambda b: b"[1, 2]"), "line 3 is damaged (a JSON list"),
    ("a line that is null", _alter_line(3, lambda b: b"null"), "line 3 is damaged (a JSON NoneType"),
    ("a class index that is a string", _alter_line(3, lambda b: b'{"class": "x", "index": 1, "values": {}}'),
     "'class' is not a non-negative whole number"),
    ("a header of another kind of journal", _alter_line(1, lambda b: b'{"crc": "0", "body": {}}'),
     "is not a proxy journal"),
]


@pytest.mark.parametrize("name,damage,fragment", JOURNAL_DAMAGE, ids=[c[0] for c in JOURNAL_DAMAGE])
def test_proxies_journal_altered_is_refused_in_one_line(journal_of_3, tmp_path, capsys, name, damage, fragment):
    src, jsrc = journal_of_3
    path, journal = tmp_path / "t.h5", tmp_path / "t.proxies.jsonl"
    shutil.copy(src, path)
    journal.write_bytes(damage(jsrc.read_bytes()))
    before = journal.read_bytes()
    _refused(main(_proxies(path, "--limit", "4")), capsys, fragment)
    assert journal.read_bytes() == before


def test_legacy_journal_lines_without_checksums_still_read(journal_of_3, tmp_path):
    from nasbench.zero_cost.compute import read_journal

    _, jsrc = journal_of_3
    legacy = tmp_path / "legacy.jsonl"
    lines = [json.loads(x) for x in jsrc.read_text().splitlines()]
    legacy.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "crc"}, sort_keys=True) + "\n"
                              for r in lines))
    assert read_journal(legacy) == read_journal(jsrc)


def test_committed_proxy_journals_read_as_legacy():
    from nasbench.zero_cost.compute import read_journal

    journal = Path(__file__).resolve().parents[1] / "data" / "proxies" / "nb201-cifar10.jsonl"
    if not journal.is_file():
        pytest.skip("no committed proxy journal")
    header, done = read_journal(journal)
    assert header["table"] == "nb201-cifar10" and len(done) > 1000


def test_a_second_proxies_writer_is_refused(journal_of_3, tmp_path, capsys):
    src, jsrc = journal_of_3
    path, journal = tmp_path / "t.h5", tmp_path / "t.proxies.jsonl"
    shutil.copy(src, path)
    shutil.copy(jsrc, journal)
    before = journal.read_bytes()
    with exclusive(journal, "held by the test"):
        _refused(main(_proxies(path, "--limit", "5")), capsys, "is being written by process")
    assert journal.read_bytes() == before


def test_generate_journal_with_a_damaged_middle_line_is_refused(tmp_path):
    from nasbench.generation.config import GenerateError
    from nasbench.generation.journal import Journal, _line

    header = {"identity": {"seeds": [0]}}
    p = tmp_path / "g.journal.jsonl"
    units = [_line({"kind": "unit", "cell": c, "seed": 0}) for c in range(3)]
    p.write_text(_line({"kind": "header", **header}) + units[0] + units[1][:-9] + "\n" + units[2])
    before = p.read_bytes()
    with pytest.raises(GenerateError, match="line 3 is damaged and more lines follow"):
        Journal.open(p, header)
    assert p.read_bytes() == before
    p.write_text(_line({"kind": "header", **header}) + units[0] + units[1][:-9])  # a cut last line: cut back
    assert set(Journal.open(p, header).units) == {(0, 0)} and p.read_text().endswith(units[0])


# -- 4. refused runs change nothing; a multi-table run checks every table first; labels ------------
def test_multi_table_refuses_a_strategy_the_second_table_cannot_serve_before_running(tables, tmp_path, capsys):
    out = tmp_path / "multi"
    argv = ["compare", "--table", f"{tables / 'a.h5'},{tables / 'one.h5'}", "--strategies", "random,hyperband",
            "--runs", "2", "--budget", "20", "--budget-kind", "epochs", "--out", str(out), "--no-progress"]
    _refused(main(argv), capsys, "is multi-fidelity")
    assert not out.exists()  # the first table did not run


@pytest.fixture(scope="module")
def multi_done(tables, tmp_path_factory):
    out = tmp_path_factory.mktemp("multi") / "m"
    assert main(_multi(tables, out)) == 0
    return out


def _multi(tables: Path, out: Path, *extra: str, second: str = "b.h5") -> list[str]:
    return ["compare", "--table", f"{tables / 'a.h5'},{tables / second}", "--strategies", "random,evolution",
            "--runs", "2", "--budget", "10", "--out", str(out), "--no-progress", "--no-plots", *extra]


# (why the run is refused, its extra arguments, the second table, the message)
MULTI_REFUSED = [
    ("same config without --resume", (), "b.h5", "already holds results of this config"),
    ("another table list", ("--resume",), "one.h5", "holds a multi-table comparison of other tables"),
    ("another seed", ("--resume", "--seed", "3"), "b.h5", "holds results of another config (differs in: seed)"),
]


@pytest.fixture(scope="module")
def multi_plotted(multi_done, tmp_path_factory):
    """``multi_done``'s tree (every file's bytes) and what ``nasbench plot`` on a copy of it returned
    (exit status, stderr): plotted once here, not once per refused run that left an equal tree."""
    out = _copy(multi_done, tmp_path_factory.mktemp("plotted") / "m")
    tree = _tree(out)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["plot", str(out)])
    return tree, code, err.getvalue()


@pytest.mark.parametrize("why,extra,second,fragment", MULTI_REFUSED, ids=[c[0] for c in MULTI_REFUSED])
def test_a_refused_multi_table_run_changes_nothing(tables, multi_done, multi_plotted, tmp_path, capsys, why, extra,
                                                   second, fragment):
    out = _copy(multi_done, tmp_path / "m")
    before = _tree(out)
    _refused(main(_multi(tables, out, *extra, second=second)), capsys, fragment)
    assert _tree(out) == before
    # the tree is byte for byte the one multi_plotted plotted: it still plots
    tree, code, err = multi_plotted
    assert before == tree and code == 0, err


def test_a_multi_table_run_into_a_running_directory_changes_nothing(tables, multi_done, tmp_path, capsys):
    out = _copy(multi_done, tmp_path / "m")
    before = _tree(out)
    with exclusive(out, "held by the test"):
        _refused(main(_multi(tables, out, "--resume")), capsys, "is being written by process")
    assert _tree(out) == before


@pytest.mark.parametrize("where", ["multitable.json.tmp", "aggregate.csv.tmp", "aggregate.json.tmp", "a"])
def test_multi_table_planted_links_are_refused(tables, multi_done, tmp_path, capsys, where):
    out = _copy(multi_done, tmp_path / "m")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "config.json").write_text("precious")
    link = out / where
    if link.is_dir():
        shutil.rmtree(link)
    link.symlink_to(victim, target_is_directory=True)
    before = _tree(out)
    _refused(main(_multi(tables, out, "--resume")), capsys, f"{where} is a symbolic link")
    assert _tree(out) == before and _tree(victim) == {"config.json": b"precious"}


LABELS = ["..", ".", "a/b", "rea.3", "../x", ""]


@pytest.mark.parametrize("label", LABELS)
def test_strategy_labels_that_are_not_folder_names_are_refused(tables, tmp_path, capsys, label):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"table = {json.dumps(str(tables / 'a.h5'))}\nruns = 1\nout = {json.dumps(str(tmp_path / 'o'))}\n"
                   f"[[strategies]]\nname = \"random\"\nlabel = {json.dumps(label or ' ')}\n")
    _refused(main(["compare", str(cfg), "--no-progress", "--no-plots"]), capsys,
             "may use letters, digits and _ + - only")
    assert not (tmp_path / "o").exists()
    with pytest.raises(ConfigError, match="no dots or slashes"):
        StrategySpec("random", label=label or " ")


def test_a_journal_named_through_a_planted_link_is_refused(journal_of_3, tmp_path, capsys):
    src, _ = journal_of_3
    path = tmp_path / "t.h5"
    shutil.copy(src, path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / "t.proxies.jsonl").symlink_to(victim)
    _refused(main(_proxies(path, "--limit", "4")), capsys, "t.proxies.jsonl is a symbolic link")
    assert victim.read_text() == "precious\n"


MANIFEST_DAMAGE = [
    ("cut short", lambda t: t[:-30], "multitable.json: not valid JSON"),
    ("a table folder that climbs", lambda t: t.replace('"dir": "a"', '"dir": ".."'), "table folder '..' is not a"),
    ("a table folder that is a path", lambda t: t.replace('"dir": "a"', '"dir": "/tmp"'), "table folder '/tmp'"),
    ("tables not a list", lambda t: json.dumps({**json.loads(t), "tables": "a"}), "not a multi-table manifest"),
    ("an optimum that is text", lambda t: t.replace('"optimum": ', '"optimum": "x', 1).replace(',\n      "median"',
                                                                                                 '",\n      "median"', 1),
     "not a multi-table manifest"),
]


@pytest.mark.parametrize("name,damage,fragment", MANIFEST_DAMAGE, ids=[c[0] for c in MANIFEST_DAMAGE])
def test_a_damaged_manifest_is_refused_in_one_line(multi_done, tmp_path, capsys, name, damage, fragment):
    out = _copy(multi_done, tmp_path / "m")
    m = out / "multitable.json"
    m.write_text(damage(m.read_text()))
    before = _tree(out)
    _refused(main(["plot", str(out)]), capsys, fragment)
    assert _tree(out) == before


def _fifo(p: Path) -> None:
    p.unlink()
    os.mkfifo(p)


def _link_to_dir(p: Path) -> None:
    p.unlink()
    target = p.parents[4] / "victim-dir"  # tmp_path (the run file is tmp_path/d/res/runs/random/...)
    target.mkdir()
    (target / "keep.txt").write_text("precious\n")
    p.symlink_to(target, target_is_directory=True)


def _config_list(out: Path) -> None:
    (out / "config.json").write_text("[1, 2]")


# (what is put where a run file or config.json was, expected exit, message fragment)
ODD_FILES = [
    ("a FIFO as a run file", lambda out: _fifo(out / "runs" / "random" / "00001.csv"), 2, "is not a regular file"),
    ("a link to a folder as a run file", lambda out: _link_to_dir(out / "runs" / "random" / "00001.csv"), 0, ""),
    ("config.json a JSON list", _config_list, 2, "not the config of a comparison"),
]


@pytest.mark.parametrize("name,plant,code,fragment", ODD_FILES, ids=[c[0] for c in ODD_FILES])
def test_odd_files_in_a_results_directory(tables, finished, tmp_path, capsys, name, plant, code, fragment):
    out = _copy(finished, tmp_path / "d" / "res")
    table = (out / "results.csv").read_bytes()
    plant(out)
    rc = main(_compare(tables / "a.h5", out, "--resume"))
    if code:
        _refused(rc, capsys, fragment)
    else:
        assert rc == 0, capsys.readouterr().err
        assert (out / "results.csv").read_bytes() == table
        assert (tmp_path / "victim-dir" / "keep.txt").read_text() == "precious\n"
