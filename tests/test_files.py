"""files.atomic_path: complete files or none, with ordinary permissions."""

import os
import stat

import pytest

from cnn_course._files import atomic_path


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_new_file_gets_the_mode_of_a_plain_open(tmp_path):
    with atomic_path(tmp_path / "out.json") as tmp:
        with open(tmp, "w") as handle:
            handle.write("{}")
    with open(tmp_path / "plain.json", "w") as handle:
        handle.write("{}")
    mode = stat.S_IMODE(os.stat(tmp_path / "out.json").st_mode)
    assert mode == stat.S_IMODE(os.stat(tmp_path / "plain.json").st_mode)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_replaced_file_keeps_its_mode(tmp_path):
    target = tmp_path / "shared.txt"
    target.write_text("old")
    os.chmod(target, 0o640)
    with atomic_path(target) as tmp:
        with open(tmp, "w") as handle:
            handle.write("new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640


def test_error_inside_the_block_leaves_the_old_file(tmp_path):
    target = tmp_path / "kept.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            with open(tmp, "w") as handle:
                handle.write("half")
            raise RuntimeError("crash")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.txt"]
