"""The manners of the command line (issue 16): shell completion, -V, examples and exit
codes in --help, several files in one run (JSON Lines), column errors that say what the
file has, decimal commas, named warnings that can be silenced, CI and NO_COLOR, and a
report laid out for a narrow terminal without a cut number."""

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from fitcli.cli import app
from fitcli.report import warnings as named

from .conftest import DATA, ROOT

ENV = {"NO_COLOR": "1", "TERMINAL_WIDTH": "100"}
COMMANDS = ("project3d", "ratio2d", "linear-tanh", "synth", "predict", "gradcheck", "completion")
HOUSE = DATA / "realdata" / "oxford_house_view000.csv"


def run(*args, env=None, input=None):
    return CliRunner().invoke(app, [str(a) for a in args], env={**ENV, **(env or {})}, input=input)


@pytest.fixture(scope="module")
def on_path(tmp_path_factory):
    """A folder with an executable `fitcli` that runs this interpreter's fitcli."""
    folder = tmp_path_factory.mktemp("bin")
    script = folder / "fitcli"
    script.write_text(f"#!/bin/sh\nexec {sys.executable} -m fitcli \"$@\"\n")
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


def in_pty(args, columns=80, env=None, send=None, timeout=60):
    """Run fitcli with a pseudo-terminal as stdin, stdout and stderr; what it printed."""
    leader, follower = pty.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    environ.update({"COLUMNS": str(columns), "TERM": "xterm", **(env or {})})
    proc = subprocess.Popen([sys.executable, "-m", "fitcli", *map(str, args)], stdin=follower,
                            stdout=follower, stderr=follower, env=environ, close_fds=True)
    os.close(follower)
    out, deadline, sent = b"", time.monotonic() + timeout, send is None
    while time.monotonic() < deadline:
        if not sent and b"Ctrl-D" in out:
            os.write(leader, send + b"\x04")
            sent = True
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=10)
    os.close(leader)
    return proc.returncode, out.decode("utf-8", "replace").replace("\r\n", "\n")


# -- completion, -V, --help ------------------------------------------------------------------

@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_is_printed_for_each_shell(shell):
    result = run("completion", shell)
    assert result.exit_code == 0 and "_FITCLI_COMPLETE=complete_" + shell in result.stdout


def test_bash_loads_the_completion_script_and_completes_commands_options_and_choices(on_path):
    script = """source <(fitcli completion bash) || exit 9
    complete -p fitcli || exit 8
    ask() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _fitcli_completion fitcli; echo "${COMPREPLY[*]}"; }
    ask fitcli pro; ask fitcli project3d --rob; ask fitcli project3d --robust ''"""
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=on_path, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "_fitcli_completion" in lines[0]
    assert lines[1:] == ["project3d", "--robust", "none huber cauchy ransac"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_loads_the_completion_script(on_path):
    out = subprocess.run(["zsh", "-c", "autoload -U compinit && compinit -u && "
                          "source <(fitcli completion zsh) && echo $_comps[fitcli]"],
                         capture_output=True, text=True, env=on_path, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "_fitcli_completion", out.stderr


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_loads_the_completion_script_and_completes(on_path):
    out = subprocess.run(["fish", "-c", "fitcli completion fish | source; complete -C 'fitcli proj'"],
                         capture_output=True, text=True, env=on_path, timeout=60)
    assert out.returncode == 0 and out.stdout.split()[0] == "project3d", out.stderr


def test_help_does_not_load_the_completion_machinery_or_numpy():
    code = ("import sys; from fitcli import cli; cli.run(['--help']); "
            "print(sorted(m for m in sys.modules if m.startswith(('numpy', 'rich'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().endswith("[]")


def test_dash_capital_v_prints_the_version_as_version_does():
    assert run("-V").stdout == run("--version").stdout != ""


def test_top_level_help_lists_the_exit_codes():
    text = run("--help").stdout
    for code in ("0", "1", "2", "3", "4", "5", "6", "130"):
        assert re.search(rf"^\s+{code}\s+\w", text, re.M), code
    assert "completion" in text


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_ends_with_examples(command):
    text = run(command, "--help").stdout
    examples = text[text.index("Examples:"):]
    assert f"fitcli {command}" in examples or "fitcli completion" in examples


def test_options_that_do_not_apply_to_class_labels_are_not_in_linear_tanh_help():
    tanh, camera = run("linear-tanh", "--help").stdout, run("project3d", "--help").stdout
    for flag in ("--sigma", "--robust"):
        assert flag not in tanh and flag in camera
    assert "Hartley" not in tanh and "standard deviation 1" in tanh


# -- several files -----------------------------------------------------------------------------

def test_several_files_give_one_json_line_each_and_the_highest_exit_code(tmp_path):
    files = [DATA / "project3d.csv", DATA / "ratio2d.csv", HOUSE]
    result = run("project3d", *files, "--json", "--quiet")
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and result.exit_code == 2  # ratio2d.csv lacks the columns
    docs = [json.loads(line) for line in lines]
    assert [d["input"] for d in docs] == [str(f) for f in files]
    assert [d["exit_code"] for d in docs] == [0, 2, 0]
    assert "it looks like ratio2d's input" in docs[1]["error"] and "camera" not in docs[1]
    assert docs[2]["camera"]["handedness"] == "left"
    assert f"{HOUSE}: the camera is left-handed" in result.stderr  # named by its file
    alone = json.loads(run("project3d", files[0], "--json", "--quiet").stdout)
    assert {k: v for k, v in docs[0].items() if k not in ("exit_code", "seconds")} == \
        {k: v for k, v in alone.items() if k != "seconds"}


def test_several_files_need_a_folder_or_a_pattern_for_their_outputs(tmp_path):
    files = [DATA / "project3d.csv", HOUSE]
    refused = run("project3d", *files, "-o", tmp_path / "model.json")
    assert refused.exit_code == 2 and "needs a folder or a pattern with {stem}" in refused.stderr
    assert list(tmp_path.iterdir()) == [] and refused.stdout == ""
    assert run("project3d", *files, "-o", "-").exit_code == 2
    assert run("project3d", *files, "-o", tmp_path, "-q").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["oxford_house_view000.json", "project3d.json"]
    pattern = tmp_path / "fits" / "{stem}.residuals.csv"
    pattern.parent.mkdir()
    assert run("project3d", *files, "--residuals", pattern, "-q").exit_code == 0
    assert len(list(pattern.parent.iterdir())) == 2
    same = run("project3d", files[0], files[0], "-o", tmp_path)
    assert same.exit_code == 2 and "would both write" in same.stderr


def test_several_files_as_tables_one_report_each():
    result = run("project3d", DATA / "project3d.csv", DATA / "project3d_exact.csv")
    assert result.exit_code == 0
    assert result.stdout.count("project3d fit of ") == 2 and "project3d_exact.csv: " in result.stdout


# -- columns and decimal commas ----------------------------------------------------------------

def test_a_column_error_says_what_the_file_has_and_what_to_do(tmp_path):
    other = run("linear-tanh", DATA / "ratio2d.csv")
    assert other.exit_code == 2
    assert other.stderr.strip().endswith("missing: label; the file has 3 columns: x, y, ratio; it "
                                         f"looks like ratio2d's input (fitcli ratio2d {DATA / 'ratio2d.csv'})")
    renamed = tmp_path / "renamed.csv"
    renamed.write_text((DATA / "ratio2d.csv").read_text().replace("x,y,ratio", "px,py,r", 1))
    hint = run("ratio2d", renamed).stderr
    assert "the file has 3 columns: px, py, r; --columns names" in hint and "--columns px,py,r" in hint
    assert run("ratio2d", renamed, "--columns", "px,py,r", "-q").exit_code == 0


def test_decimal_commas_are_read_with_decimal_comma_and_hinted_without(tmp_path):
    text = (DATA / "project3d.csv").read_text()
    path = tmp_path / "semicolons.csv"
    path.write_text(text.replace(",", ";").replace(".", ","))
    hinted = run("project3d", path)
    assert hinted.exit_code == 2 and "--decimal , reads them" in hinted.stderr
    got = json.loads(run("project3d", path, "--decimal", ",", "--json", "-q").stdout)
    want = json.loads(run("project3d", DATA / "project3d.csv", "--json", "-q").stdout)
    assert got["params"] == want["params"]


# -- warnings, CI, NO_COLOR ----------------------------------------------------------------------

def test_a_named_warning_can_be_silenced_and_stays_in_the_json():
    loud = run("project3d", HOUSE, "--json")
    assert "warning: the camera is left-handed" in loud.stderr
    for how in (["--no-warn", "left-handed"], []):
        env = {} if how else {"FITCLI_NO_WARN": "skew,left-handed"}
        quiet = run("project3d", HOUSE, "--json", *how, env=env)
        assert quiet.exit_code == 0 and "left-handed" not in quiet.stderr
        assert any("left-handed" in w for w in json.loads(quiet.stdout)["warnings"])
    bad = run("project3d", HOUSE, "--no-warn", "lefthanded")
    assert bad.exit_code == 2 and "the names are left-handed, skew" in bad.stderr


def test_every_warning_name_matches_words_the_code_writes():
    source = "\n".join(p.read_text() for p in (ROOT / "fitcli").rglob("*.py")
                       if p.name != "warnings.py")
    source = re.sub(r'"\s*\n\s*f?"', "", source)  # join implicitly concatenated strings
    for name, (_, words) in named.NAMES.items():
        assert any(w in source for w in words.split("|")), name
    assert named.name_of("the camera is left-handed (det R = -1 ...)") == "left-handed"
    assert named.name_of("model not saved to m.json: the fit diverged") == "not-saved"


def test_ci_turns_animation_off_whatever_its_value_says():
    from fitcli.report import console

    for value, expected in (("true", True), ("1", True), ("yes", True), ("false", False), ("0", False), ("", False)):
        os.environ["CI"] = value
        try:
            assert console.in_ci() is expected, value
        finally:
            del os.environ["CI"]


def test_no_color_removes_colour_but_a_terminal_keeps_its_layout():
    code, coloured = in_pty(["project3d", DATA / "project3d.csv"])
    assert code == 0 and "\x1b[" in coloured
    code, plain = in_pty(["project3d", DATA / "project3d.csv"], env={"NO_COLOR": "1"})
    assert code == 0 and not re.search(r"\x1b\[[0-9;]*3[0-9]m|\x1b\[[0-9;]*38;", plain)
    assert "focal length x (px)" in plain


def test_standard_input_on_a_terminal_says_it_is_awaited():
    data = (DATA / "project3d.csv").read_bytes().replace(b"\n", b"\r")
    code, out = in_pty(["project3d", "-", "-q", "--json"], send=data)
    assert "reading project3d points (X, Y, Z, u, v) from standard input" in out and code == 0


# -- a narrow terminal -------------------------------------------------------------------------

@pytest.mark.parametrize("columns", [60, 44])
@pytest.mark.parametrize("model,file", [("project3d", "project3d.csv"), ("ratio2d", "ratio2d.csv"),
                                         ("linear-tanh", "linear_tanh.csv")])
def test_a_narrow_terminal_gets_every_number_whole(model, file, columns):
    code, out = in_pty([model, DATA / file, "--verbose", "--sigma", "0.5"] if model != "linear-tanh"
                       else [model, DATA / file, "--verbose"], columns=columns,
                       env={"NO_COLOR": "1", "CI": "1"})  # CI: no transient spinner in the stream
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out)
    assert code == 0, text
    assert "…" not in text and "..." not in text
    assert max(len(line) for line in text.splitlines()) <= columns, text
    doc = json.loads(run(model, DATA / file, "--json", "-q",
                         *(["--sigma", "0.5"] if model != "linear-tanh" else [])).stdout)
    from fitcli.report.formats import number

    for value in doc["params"].values():
        assert number(value) in text  # the per-parameter table, whole


def test_a_warning_on_a_narrow_terminal_breaks_between_words():
    code, out = in_pty(["project3d", HOUSE, "-q"], columns=50)
    lines = [line for line in out.splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.startswith("warning: "))
    block = lines[start:start + 4]
    assert all(len(line) <= 50 for line in block)
    joined = " ".join(line.strip() for line in block)
    assert "the camera is left-handed (det R = -1 with the points in front of it): one axis" in joined


def test_the_readme_annotated_run_is_what_fitcli_prints(monkeypatch):
    monkeypatch.chdir(ROOT)
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index("## One run, annotated"):]
    block = block[block.index("```text") + 8:block.index("```", block.index("```text") + 8)]
    out = run("project3d", "data/project3d.csv", env={"COLUMNS": "80"}).stdout.splitlines()
    printed = {line.rstrip() for line in out}
    for line in block.splitlines():
        text = line.split("  <-")[0].rstrip()
        if text and text != "...":
            assert text in printed, text
