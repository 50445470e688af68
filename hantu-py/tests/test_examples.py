"""The newcomer's walk-through must keep working: run the example script and every notebook cell."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_quickstart_script_runs(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "plot.png"
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "python" / "quickstart.py"), str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "BacktestResult sma-cross" in proc.stdout
    assert out.stat().st_size > 10_000


def test_quickstart_notebook_cells_run(monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    nb = json.loads((ROOT / "examples" / "notebooks" / "quickstart.ipynb").read_text())
    scope = {"__name__": "__notebook__"}
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), "<cell>", "exec"), scope)
    assert scope["mine"].stats == scope["result"].stats
    assert len(scope["sweep"]) == 4
