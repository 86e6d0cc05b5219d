"""A regular install (a wheel, not the checkout's editable install) renders from an empty folder."""

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.render, pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")]


def test_an_installed_wheel_renders_from_an_empty_folder(tmp_path):
    source, wheels = tmp_path / "source", tmp_path / "wheels"  # a copy: building in the checkout leaves build/
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "media", "build", "*.egg-info",
                                                                  "__pycache__", ".pytest_cache", ".hypothesis"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
                   check=True, capture_output=True)
    wheel = next(wheels.glob("blockmath-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # the dependencies (manim, numpy, ...) come from this venv's packages, added as a plain path: its .pth files,
    # the checkout's editable install among them, are not read, so `blockmath` can only come from the wheel
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True,
                   capture_output=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run([str(py), "-c", "import blockmath; print(blockmath.__file__)"], capture_output=True,
                           text=True, cwd=empty, check=True).stdout.strip()
    assert Path(where).is_relative_to(site), where  # the installed copy, not the checkout
    r = subprocess.run([str(py), "-m", "blockmath", "render", "residual", "-q", "l", "--resolution", "128x72",
                        "--sentence", "Installed packages render."], capture_output=True, text=True, cwd=empty,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    clip = empty / r.stdout.strip().splitlines()[-1]
    assert clip.is_file() and clip.is_relative_to(empty / "media" / "clips")
    stamp = json.loads(clip.with_suffix(".json").read_text())
    assert "scenes:residual.py" in stamp["sources"]  # the installed scenes, hashed like the checkout's
    again = subprocess.run([str(py), "-m", "blockmath", "render", "residual", "-q", "l", "--resolution", "128x72",
                            "--sentence", "Installed packages render."], capture_output=True, text=True, cwd=empty)
    assert again.returncode == 0 and "up to date" in again.stdout
