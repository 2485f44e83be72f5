import pathlib
import runpy

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_notebook_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(ROOT / "examples" / "notebook.py"), run_name="__main__")
