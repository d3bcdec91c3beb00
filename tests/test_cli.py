"""The `cnn-course` command: the demo end to end in quick mode, and `check`."""

import json
import subprocess
import sys


def _run(args, tmp_path, **env):
    import os

    full_env = {**os.environ, "MPLBACKEND": "Agg", **env}
    return subprocess.run([sys.executable, "-m", "cnn_course", *args], capture_output=True,
                          text=True, timeout=600, cwd=tmp_path, env=full_env)


def test_demo_quick_prints_table_and_writes_outputs(tmp_path):
    out = _run(["demo", "--quick", "--data", str(tmp_path / "shapes"), "--output", "results"],
               tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    for model in ("dense", "convnet", "convnet+aug"):
        assert f"\n{model} " in out.stdout
    assert "test acc" in out.stdout and "[5/5]" in out.stdout
    for name in ("training_curves.png", "augmentations.png", "results.json"):
        assert (tmp_path / "results" / name).stat().st_size > 0
    rows = json.loads((tmp_path / "results" / "results.json").read_text())["rows"]
    assert [r["model"] for r in rows] == ["dense", "convnet", "convnet+aug"]
    assert all(0.0 <= r["test_accuracy"] <= 1.0 for r in rows)
    # No TensorFlow start-up noise reaches the terminal.
    assert "absl::InitializeLog" not in out.stderr and "oneDNN custom operations" not in out.stderr


def test_check_reports_versions(tmp_path):
    out = _run(["check"], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "TensorFlow" in out.stdout and "Installation OK." in out.stdout
    assert "TF_ENABLE_ONEDNN_OPTS=1" in out.stdout
