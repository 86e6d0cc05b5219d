"""Fixtures shared by the test modules."""

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def full_set(tmp_path_factory):
    """Every lesson rendered once (tiny, narrated) for one sentence: the movie, gallery, deck and browser tests share
    it (a movie is narrated by default; the gallery and the deck are asked to be, so all use the same clips)."""
    tmp = tmp_path_factory.mktemp("set")
    media = tmp / "media"
    base = ["-q", "l", "--resolution", "128x72", "--media-dir", str(media), "--sentence", "Movies & <b>galleries</b>."]
    done = {}

    def run(command):
        if command not in done:  # each command once per session
            narrate = [] if command == "movie" else ["--narrate"]
            r = subprocess.run([sys.executable, "-m", "blockmath", command, *base, *narrate], capture_output=True,
                               text=True, cwd=tmp, timeout=1500)
            assert r.returncode == 0, r.stderr
            done[command] = Path(r.stdout.strip().splitlines()[-1])
        return done[command]

    return run
