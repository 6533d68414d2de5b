"""The README's library example runs as printed (in a temporary folder: it writes a checkpoint)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_library_example_runs(tmp_path, monkeypatch, capsys):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Using the library", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 2  # training with the library, then a layer of one's own
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for code in blocks:  # one after the other, as a reader runs them
        exec(compile(code, "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert "accuracy" in out and "(4, 16)" in out
    assert out.rstrip().endswith("True")  # the layer of one's own passes gradcheck
    assert (tmp_path / "iris.npz").exists()
