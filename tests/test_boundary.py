import subprocess
import sys


def test_core_imports_neither_typer_nor_rich():
    code = "import sys, fitcli.core; print(sorted(m for m in ('typer', 'rich') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_help_path_does_not_import_numpy():
    code = "import sys, fitcli.cli; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


HEAVY = ("dask", "distributed", "pyarrow.parquet", "pyarrow.dataset")


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return eval(out.stdout.strip().splitlines()[-1])


def test_help_imports_no_engine_dependency():
    code = "from fitcli import cli\ntry:\n    cli.app(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass"
    assert _loaded_after(code) == []


def test_an_in_memory_fit_imports_no_engine_dependency(tmp_path):
    from fitcli.core.synth import synthesize
    from fitcli.io.csv_out import format_csv

    s = synthesize("project3d", seed=1, n=3000)  # large enough for the fast CSV engine
    path = tmp_path / "p.csv"
    path.write_text(format_csv(s.columns, s.table))
    code = f"from fitcli import cli\ncli.run(['project3d', {str(path)!r}, '--json', '--quiet'])"
    assert _loaded_after(code) == []
