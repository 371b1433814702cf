"""Habits of any Python CLI: --version, python -m nasbench, shell completion, progress bars only on a
terminal, -q/-v through logging, "did you mean", compare rerun from its own config.json, Ray errors
that name their cause."""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nasbench.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--table", "nb201-digits", "--strategies", "random", "--runs", "2", "--budget", "10", "--no-plots",
         "--jobs", "1"]


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "nasbench", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


def test_version_and_python_dash_m():
    from nasbench import __version__

    r = _run("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"nasbench {__version__}"
    h = _run("--help")
    assert h.returncode == 0 and "usage: nasbench" in h.stdout and "completion" in h.stdout


@pytest.mark.parametrize("shell, marker, flag", [("bash", "complete", "--strategies"),
                                                 ("zsh", "#compdef nasbench", "--strategies"),
                                                 ("tcsh", "complete", "strategies")])
def test_completion_scripts(capsys, shell, marker, flag):
    assert main(["completion", shell]) == 0
    out = capsys.readouterr().out
    assert marker in out and "compare" in out and flag in out


@pytest.mark.slow  # a comparison in a fresh process; test_version_and_python_dash_m is the fast smoke test
def test_piped_compare_has_no_carriage_returns(tmp_path):
    """Output to a pipe (not a terminal): no progress bar, so no carriage return in a log file."""
    r = _run("compare", *SMALL, "--out", str(tmp_path / "r"))
    assert r.returncode == 0, r.stderr
    assert "\r" not in r.stdout + r.stderr
    assert "random" in r.stdout and "LaTeX table" in r.stdout


def test_captured_compare_has_no_carriage_returns(tmp_path, capsys):
    """The same in this process: output captured (not a terminal), no progress bar, no carriage return."""
    assert main(["compare", *SMALL, "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr()
    assert "\r" not in out.out + out.err
    assert "random" in out.out and "LaTeX table" in out.out


def test_quiet_and_verbose(tmp_path, capsys):
    assert main(["-q", "compare", *SMALL, "--out", str(tmp_path / "q")]) == 0
    out = capsys.readouterr()
    assert "random" in out.out and "LaTeX table" not in out.out  # results stay, chatter goes
    assert main(["compare", *SMALL, "--out", str(tmp_path / "v"), "-v"]) == 0  # after the subcommand too
    out = capsys.readouterr()
    assert "LaTeX table" in out.out and "debug: compare: config" in out.err
    assert main(["compare", *SMALL, "--out", str(tmp_path / "n")]) == 0
    out = capsys.readouterr()
    assert "LaTeX table" in out.out and "debug:" not in out.err


@pytest.mark.parametrize("argv, words", [
    (["compre"], "did you mean 'compare'?"),
    (["compare", "--executor", "rey"], "did you mean 'ray'?"),
    (["compare", "--strategies", "evolutin", "--no-plots"], "did you mean 'evolution'?"),
    (["compare", "--table", "nb201-cifar1O", "--no-plots"], "did you mean 'nb201-cifar10'?"),
    (["compare", "--preset", "nas-bench-21", "--no-plots"], "did you mean 'nas-bench-201'?"),
    (["info", "nb201-digit"], "did you mean 'nb201-digits'?"),
])
def test_did_you_mean(tmp_path, capsys, argv, words):
    if argv[0] == "compare":
        argv = [*argv, "--out", str(tmp_path / "r")]
    assert _exit_code(argv) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "\n" not in err, err
    assert not (tmp_path / "r").exists()


def _exit_code(argv: list[str]) -> int:
    """main's return value, or the code of the SystemExit argparse raises on a usage error."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)


def test_no_suggestion_when_nothing_is_close(capsys):
    assert main(["info", "zzzzzzzz"]) == 2
    assert "did you mean" not in capsys.readouterr().err


def test_compare_reruns_from_its_own_config_json(tmp_path, capsys):
    a = tmp_path / "a"
    assert main(["compare", *SMALL, "--out", str(a)]) == 0
    b = tmp_path / "b"
    assert main(["compare", str(a / "config.json"), "--out", str(b), "--no-plots", "--jobs", "1"]) == 0
    assert (a / "results.csv").read_bytes() == (b / "results.csv").read_bytes()
    assert (a / "summary.csv").read_bytes() == (b / "summary.csv").read_bytes()
    assert json.loads((a / "config.json").read_text()) == json.loads((b / "config.json").read_text())
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    capsys.readouterr()
    assert main(["compare", str(bad), "--out", str(tmp_path / "c")]) == 2
    assert "top level must be a mapping" in capsys.readouterr().err


def test_ray_cause_names_the_underlying_exception():
    """The one line names the exception under Ray's wrapper (its type and message), not the actor."""
    from nasbench.util.ray_session import ray_cause

    class FakeActorDied(Exception):  # Ray's RayActorError: the remote traceback quoted in the message
        pass

    msg = ("The actor died because of an error raised in its creation task, \x1b[36mray::Worker.__init__()\x1b[39m "
           "(pid=1, ip=10.0.0.1, actor_id=ab)\n  File \"x.py\", line 9, in __init__\n    import my_plugin\n"
           "ModuleNotFoundError: No module named 'my_plugin'")
    assert ray_cause(FakeActorDied(msg)) == "ModuleNotFoundError: No module named 'my_plugin'"

    class FakeTaskError(Exception):  # Ray's RayTaskError: the original exception as ``cause``
        def __init__(self, cause):
            super().__init__("\x1b[36mray::Worker.run()\x1b[39m (pid=2)")
            self.cause = cause

    assert ray_cause(FakeTaskError(KeyError("strategy"))) == "KeyError: 'strategy'"
    assert ray_cause(FakeTaskError(None)) == "ray::Worker.run() (pid=2)"


def test_ray_worker_that_cannot_import_names_the_module(ray_local):
    """On the session's local Ray instance (conftest's ``ray_local``)."""
    from nasbench.util.executors import ray_map
    from nasbench.search.runner import ConfigError

    with pytest.raises(ConfigError) as exc:
        # the actor's set-up imports a module the workers lack (as a plug-in not installed there)
        list(ray_map(abs, [1], 1, importlib.import_module, ("my_missing_plugin",), error=ConfigError))
    msg = str(exc.value)
    assert msg.startswith("a Ray worker died: ModuleNotFoundError: No module named 'my_missing_plugin'"), msg
    assert "\n" not in msg and "\x1b[" not in msg and "ray::" not in msg


def test_parser_builds_with_completion_and_verbosity_everywhere():
    p = build_parser()
    args = p.parse_args(["surrogate", "eval", "--table", "x", "-q"])
    assert args.quiet == 1 and args.verbose == 0


def test_progress_bars_only_on_a_terminal(monkeypatch):
    from nasbench import cli

    for tty, quiet, shown in ((True, 0, True), (False, 0, False), (True, 1, False)):
        monkeypatch.setattr(cli, "_stderr_is_tty", lambda tty=tty: tty)
        args = build_parser().parse_args(["compare", *(["-q"] * quiet)])
        cli._setup_output(args)
        assert args.no_progress is (not shown)
