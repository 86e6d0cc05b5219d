"""Narrated clips: speech in the clip and every section, normalised loudness, subtitles on the speech, identical
audio on a rerun, any script, no network."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.render, pytest.mark.voice,
              pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")]
pytest.importorskip("hibari")

from blockmath import audio, narration  # noqa: E402

BLOCK_NETWORK = """
import socket
def _refuse(*args, **kwargs):
    raise OSError("network access attempted during a render")
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
"""


def render(tmp_path, sentence, media="media", hook=None, scene="residual"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOCKMATH_")}
    if hook:
        (tmp_path / "hook").mkdir(exist_ok=True)
        (tmp_path / "hook" / "sitecustomize.py").write_text(hook)
        env["PYTHONPATH"] = str(tmp_path / "hook")
    cmd = [sys.executable, "-m", "blockmath", "render", scene, "-q", "l", "--resolution", "128x72", "--narrate",
           "--media-dir", str(tmp_path / media), "--sentence", sentence]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    assert r.returncode == 0, r.stderr
    return Path(r.stdout.strip().splitlines()[-1])


def streams(path):
    """The file's streams by type, and under "played" how long a player plays it: the container's length (its edit
    lists), not a stream's own."""
    out = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "format=duration:stream=codec_type,codec_name,sample_rate,duration,nb_frames", "-of", "json", str(path)],
        capture_output=True, text=True, check=True).stdout)
    return {**{s["codec_type"]: s for s in out["streams"]}, "played": float(out["format"]["duration"])}


def loudness(path):
    """Integrated loudness (LUFS) and true peak (dBTP), as ffmpeg's EBU R128 meter reads them."""
    err = subprocess.run(["ffmpeg", "-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    summary = err[err.rindex("Summary:"):]
    return float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary)[1]), float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary)[1])


@pytest.fixture(scope="module")
def narrated(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("narrated")
    return tmp, render(tmp, "Cats sleep a lot.")


def test_a_narrated_clip_and_its_sections_carry_speech(narrated):
    _, clip = narrated
    s = streams(clip)
    assert s["audio"]["codec_name"] == "aac" and s["audio"]["sample_rate"] == "48000"
    assert abs(float(s["audio"]["duration"]) - float(s["video"]["duration"])) <= 0.2
    assert abs(s["played"] - float(s["video"]["duration"])) <= 0.05
    # the waits for speech are encoded once per half second (kit.fast.STILL_SECONDS), not once per frame (15 fps)
    assert int(s["video"]["nb_frames"]) < 0.8 * 15 * float(s["video"]["duration"])
    sections = sorted((clip.parent / "sections" / clip.stem).glob("*.mp4"))
    assert len(sections) >= 3
    for sec in sections:
        st = streams(sec)
        assert st["audio"]["codec_name"] == "aac"
        assert abs(float(st["audio"]["duration"]) - float(st["video"]["duration"])) <= 0.2, sec.name
        assert abs(st["played"] - float(st["video"]["duration"])) <= 0.05, sec.name
    lufs, peak = loudness(clip)
    assert abs(lufs - (-16.0)) <= 1.0 and peak <= -1.5


def test_every_subtitle_starts_with_its_speech(narrated):
    _, clip = narrated
    cues = narration.read_srt(clip.with_suffix(".srt").read_text(encoding="utf-8"))
    onsets = audio.speech_onsets(clip)
    assert len(cues) >= 4 and onsets
    for cue in cues:
        assert min(abs(o - cue.start) for o in onsets) <= 0.3, cue
        # and the caption stays up until it has been read (the scene held for the speech)
    assert all(b.start - a.start >= 1.0 for a, b in zip(cues, cues[1:]))


def test_a_rerun_gives_the_same_audio_bytes(narrated):
    tmp, clip = narrated
    again = render(tmp, "Cats sleep a lot.", media="again")  # another media folder: a cold speech cache

    def audio_bytes(p):
        return subprocess.run(["ffmpeg", "-v", "error", "-i", str(p), "-map", "0:a", "-c", "copy", "-f", "adts", "-"],
                              capture_output=True, check=True).stdout

    assert audio_bytes(clip) == audio_bytes(again) and len(audio_bytes(clip)) > 1000
    assert clip.with_suffix(".srt").read_text() == again.with_suffix(".srt").read_text()


def test_any_script_is_narrated_without_the_network(tmp_path):
    clip = render(tmp_path, "שלום 世界 🍕 today", hook=BLOCK_NETWORK)
    cues = narration.read_srt(clip.with_suffix(".srt").read_text(encoding="utf-8"))
    onsets = audio.speech_onsets(clip)
    assert len(onsets) >= len(cues) >= 4  # something is said for every caption, the foreign words included
