"""Model files: the saved form of a fit, validation on load, atomic writes."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from fitcli.cli import app
from fitcli.core import fit
from fitcli.core.models import MODELS
from fitcli.errors import ModelFileError, OutputError
from fitcli.io.atomic import check_output, save, write_atomic
from fitcli.io.modelfile import dumps, fit_document, load_model, model_options

from .conftest import DATA

ENV = {"NO_COLOR": "1", "TERMINAL_WIDTH": "100"}


def run(*args, input=None):
    return CliRunner().invoke(app, list(args), input=input, env=ENV)


def fitted(name, sample):
    from fitcli.io.csv_in import read_table

    model = MODELS[name]
    table = read_table(str(DATA / sample), model.columns, model=name)
    return model, fit(model, model.split(table.values)[0]), table


@pytest.mark.parametrize("name,sample", [("project3d", "project3d.csv"), ("ratio2d", "ratio2d.csv"),
                                         ("linear-tanh", "linear_tanh.csv")])
def test_a_fit_document_loads_back_exactly(name, sample, tmp_path):
    model, result, table = fitted(name, sample)
    path = tmp_path / "m.json"
    write_atomic(str(path), dumps(fit_document(model, result, table.source, table.n_rows)))
    loaded, params, doc = load_model(str(path), MODELS)
    assert loaded is model
    assert params == [float(v) for v in result.params]  # JSON keeps every bit of a float64
    assert doc["format"] == "fitcli-model" and doc["version"] == 1 and doc["model"] == name
    assert doc["input"] == {"file": table.source, "rows": table.n_rows}
    assert doc["fit"]["loss"] == result.cost and doc["fit"]["converged"] is True
    assert "params" not in doc["fit"]
    if name == "linear-tanh":
        assert model_options(model, doc) == {"z_scale": result.extra["z_scale"], "activation": "tanh",
                                             "loss_function": "squared", "form": "tutorial"}
    else:
        assert np.array_equal(np.array(doc["matrix"]).ravel(), result.params)
        assert doc["normalization"] and model_options(model, doc) == {}


def _valid():
    return json.loads((DATA / "project3d.truth.json").read_text())


BROKEN = {
    "truncated": (lambda: dumps(_valid())[:300], "not a valid model file (JSON error at line"),
    "empty": (lambda: "", "the model file is empty"),
    "not an object": (lambda: "[1, 2]", "not a fitcli model file"),
    "wrong format": (lambda: json.dumps({**_valid(), "format": "other"}), "not a fitcli model file"),
    "wrong version": (lambda: json.dumps({**_valid(), "version": 2}), "version 2 is not supported"),
    "version true": (lambda: json.dumps({**_valid(), "version": True}), "version True is not supported"),
    "unknown kind": (lambda: json.dumps({**_valid(), "model": "cubic"}), "unknown model kind 'cubic'"),
    "kind not text": (lambda: json.dumps({**_valid(), "model": ["project3d"]}), "unknown model kind"),
    "no params": (lambda: json.dumps({k: v for k, v in _valid().items() if k != "params"}),
                  '"params" is missing'),
    "missing param": (lambda: json.dumps({**_valid(), "params": {"a": 1.0}}), "parameters missing: b, c"),
    "NaN": (lambda: dumps(_valid()).replace('"a": -1134.2893837344816', '"a": NaN'),
            "parameter a must be a finite number; got nan"),
    "overflow": (lambda: dumps(_valid()).replace('"b": -44.92811906701019', '"b": 1e400'),
                 "parameter b must be a finite number; got inf"),
    "too many digits": (lambda: dumps(_valid()).replace('"b": -44.92811906701019', '"b": 1' + "0" * 5000),
                     "not a valid model file (Exceeds the limit (4300 digits)"),
    "long integer": (lambda: dumps(_valid()).replace('"b": -44.92811906701019', '"b": 1' + "0" * 400),
                     "parameter b must be a finite number; got 1000000000000000000000000000000000000..."),
    "text param": (lambda: dumps(_valid()).replace('"c": 1372.2131970158102', '"c": "12"'),
                   "parameter c must be a finite number; got '12'"),
    "bool param": (lambda: dumps(_valid()).replace('"c": 1372.2131970158102', '"c": true'),
                   "parameter c must be a finite number; got True"),
    "options not object": (lambda: json.dumps({**_valid(), "options": [1]}), '"options" must be an object'),
    "option infinite": (lambda: dumps(_valid()).replace('"options": {}', '"options": {"z_scale": -Infinity}'),
                        "option z_scale must be a finite number"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_model_file_is_one_clear_error(case, tmp_path):
    text, message = BROKEN[case]
    path = tmp_path / "m.json"
    path.write_text(text())
    with pytest.raises(ModelFileError) as info:
        load_model(str(path), MODELS)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("case", ["truncated", "wrong version", "unknown kind", "missing param", "NaN"])
def test_predict_with_a_broken_model_file_exits_2_without_a_traceback(case, tmp_path):
    path = tmp_path / "m.json"
    path.write_text(BROKEN[case][0]())
    result = run("predict", str(path), str(DATA / "project3d.csv"))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {path}: ") and result.stderr.count("\n") == 1


def test_a_non_positive_z_scale_in_the_file_is_blamed_on_the_file(tmp_path):
    doc = json.loads((DATA / "linear_tanh.truth.json").read_text())
    doc["options"] = {"z_scale": -2.0}
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc))
    result = run("predict", str(path), str(DATA / "linear_tanh.csv"))
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(f"{path}: option z_scale must be a number > 0; got -2.0")


def test_missing_model_file_and_model_from_standard_input(tmp_path):
    result = run("predict", str(tmp_path / "none.json"), str(DATA / "ratio2d.csv"))
    assert result.exit_code == 2 and "no such model file" in result.stderr
    text = (DATA / "ratio2d.truth.json").read_text()
    result = run("predict", "-", str(DATA / "ratio2d.csv"), "--quiet", input=text)
    assert result.exit_code == 0 and result.stdout.startswith("ratio\n")


def test_write_atomic_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    path.write_bytes(b"old and good\n")
    os.chmod(path, 0o640)

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OutputError, match=r"cannot write \(No space left on device\)"):
        save(str(path), "new text that never fully lands\n", "-o")
    assert path.read_bytes() == b"old and good\n"
    assert os.listdir(tmp_path) == ["m.json"]  # no temporary file left behind
    monkeypatch.undo()
    write_atomic(str(path), "new\n")
    assert path.read_text() == "new\n" and (os.stat(path).st_mode & 0o777) == 0o640


def test_an_interrupt_while_saving_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    path.write_bytes(b"old and good\n")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    result = run("ratio2d", str(DATA / "ratio2d.csv"), "-o", str(path), "--quiet")
    assert result.exit_code == 130
    assert path.read_bytes() == b"old and good\n"
    assert os.listdir(tmp_path) == ["m.json"]


def test_outputs_that_cannot_be_written_fail_before_any_work(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        check_output(str(tmp_path / "no" / "m.json"), "-o")
    with pytest.raises(OutputError, match="is a directory"):
        check_output(str(tmp_path), "-o")
    check_output("-", "-o")
    result = run("project3d", str(DATA / "project3d.csv"), "-o", str(tmp_path / "no" / "m.json"))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == f"error: -o {tmp_path / 'no' / 'm.json'}: folder {tmp_path / 'no'} does not exist"


def test_fit_output_policy(tmp_path):
    """Converged: saved.  Not converged: the old file stays, unless --save-unconverged."""
    path = tmp_path / "m.json"
    result = run("ratio2d", str(DATA / "ratio2d.csv"), "-o", str(path), "--json")
    assert result.exit_code == 0 and f"note: model saved to {path}" in result.stderr
    good = path.read_bytes()
    assert json.loads(good)["fit"]["converged"] is True
    result = run("ratio2d", str(DATA / "ratio2d.csv"), "-o", str(path), "--max-iter", "1")
    assert result.exit_code == 4
    assert path.read_bytes() == good
    assert f"warning: model not saved to {path}: the fit did not converge" in result.stderr
    result = run("ratio2d", str(DATA / "ratio2d.csv"), "-o", str(path), "--max-iter", "1",
                 "--save-unconverged", "--quiet")
    assert result.exit_code == 4 and result.stdout == ""
    assert json.loads(path.read_bytes())["fit"]["status"] == "max_iter"


def test_dash_o_dash_writes_the_model_to_stdout_instead_of_the_table():
    result = run("linear-tanh", str(DATA / "linear_tanh.csv"), "-o", "-", "--quiet")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["model"] == "linear-tanh" and doc["options"]["z_scale"] > 0
    result = run("linear-tanh", str(DATA / "linear_tanh.csv"), "-o", "-", "--json")
    assert result.exit_code == 2 and "both write to stdout" in result.stderr


@pytest.mark.parametrize("command", ["predict", "gradcheck"])
def test_new_subcommands_have_help(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Usage" in result.stdout


def test_predict_reads_columns_by_name_position_or_rename():
    model = str(DATA / "project3d.truth.json")
    expected = run("predict", model, "-", input="X,Y,Z\n0,0,0\n1,0.5,-0.5\n").stdout
    assert expected.startswith("u,v,depth\n") and expected.count("\n") == 3
    assert run("predict", model, "-", input="0,0,0\n1,0.5,-0.5\n").stdout == expected
    renamed = run("predict", model, "-", "--columns", "a,b,c", input="a,b,c,d\n0,0,0,9\n1,0.5,-0.5,9\n")
    assert renamed.stdout == expected
    missing = run("predict", model, "-", input="X,Y,u,v\n1,2,3,4\n")
    assert missing.exit_code == 2
    assert missing.stderr.strip() == ("error: <stdin>: a project3d model (targets u, v optional) "
                                      "needs columns X, Y, Z, u, v; missing: Z; the file has 4 "
                                      "columns: X, Y, u, v")


def test_a_symlinked_model_file_stays_a_link_and_its_target_is_replaced(tmp_path):
    target, link = tmp_path / "target.json", tmp_path / "link.json"
    target.write_text("old\n")
    link.symlink_to(target.name)
    result = run("ratio2d", str(DATA / "ratio2d.csv"), "-o", str(link), "--quiet")
    assert result.exit_code == 0
    assert link.is_symlink() and json.loads(target.read_text())["model"] == "ratio2d"
    assert sorted(os.listdir(tmp_path)) == ["link.json", "target.json"]


def test_streams_and_devices_are_written_in_place_never_renamed_over(tmp_path):
    """A rename onto /dev/stdout would replace the link (or a device) itself."""
    from fitcli.io.atomic import _in_place

    assert _in_place("/dev/null") and _in_place("/proc/self/fd/1")
    assert not _in_place(str(tmp_path / "new.json"))
    fake = tmp_path / "stdout"
    fake.symlink_to("/proc/self/fd/1")
    out = subprocess.run([sys.executable, "-m", "fitcli", "synth", "ratio2d", "--n", "3", "-o", str(fake)],
                         capture_output=True, text=True, env={**os.environ, **ENV}, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("x,y,ratio\n") and out.stdout.count("\n") == 4
    assert fake.is_symlink()


def test_an_output_that_is_the_input_is_refused(tmp_path):
    data = tmp_path / "points.csv"
    data.write_text((DATA / "ratio2d.csv").read_text())
    result = run("ratio2d", str(data), "-o", str(data))
    assert result.exit_code == 2 and "is the input file" in result.stderr
    assert data.read_text() == (DATA / "ratio2d.csv").read_text()
    result = run("predict", str(DATA / "ratio2d.truth.json"), str(data), "-o", str(data))
    assert result.exit_code == 2 and "is the input file" in result.stderr
