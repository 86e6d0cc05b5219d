"""A rendered clip read aloud: each subtitle cue's caption spoken from the cue's start, in the clip and its sections.

The glue between voice (lines, cached) and audio (tracks, loudness, mux): render.py calls `narrate_clip` after
manim has written the clip, its .srt and its per-beat sections; a scene calls `voice.narrate(caption, cache)`
to learn how long a caption must stay on screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from . import audio
from .voice import DEFAULT_VOICE, Line, narrate

_TIME = r"(\d+):(\d\d):(\d\d)[,.](\d{3})"
_CUE = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}[^\n]*\n(.*?)(?=\n\s*\n|\Z)", re.S | re.M)


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float  # seconds
    text: str  # the caption as shown


@dataclass(frozen=True)
class Narration:
    cues: list[Cue]  # the subtitles that were read
    lines: list[Line]  # their audio, in the same order
    loudness: audio.Loudness  # of the whole track, after normalisation


def read_srt(text: str) -> list[Cue]:
    """The cues of a SubRip file, in time order."""
    def seconds(h: str, m: str, s: str, ms: str) -> float:
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    cues = [Cue(seconds(*m.groups()[0:4]), seconds(*m.groups()[4:8]), m.group(9).strip())
            for m in _CUE.finditer(text.replace("\r\n", "\n"))]
    return sorted(cues, key=lambda c: c.start)


def narrate_clip(clip: Path, srt: str, out: Path, cache_dir: Path, voice: str = DEFAULT_VOICE,
                 sections: Sequence[Path] = (), section_outs: Sequence[Path] = ()) -> Narration:
    """Write `out` (the clip with its captions read aloud) and each section with its slice of the same track."""
    cues = [c for c in read_srt(srt) if c.text]
    return narrate_cues(clip, cues, out, cache_dir, voice, sections, section_outs)


def narrate_cues(clip: Path, cues: Sequence[Cue], out: Path, cache_dir: Path, voice: str = DEFAULT_VOICE,
                 sections: Sequence[Path] = (), section_outs: Sequence[Path] = ()) -> Narration:
    """Like narrate_clip, for cues given directly (the text of each is what is read aloud, from its start)."""
    cues = list(cues)
    lines = [narrate(c.text, cache_dir, voice) for c in cues]
    duration = audio.video_duration(clip)
    for cue, line, until in zip(cues, lines, [c.start for c in cues[1:]] + [duration]):
        if cue.start + line.duration > until + 0.05:
            raise audio.AudioError(f"{clip.name}: {cue.text!r} is read for {line.duration:.2f} s from {cue.start:.2f} s, "
                                   f"but the next caption or the end comes at {until:.2f} s")
    track = audio.build_track([(c.start, line.wav) for c, line in zip(cues, lines)], duration)
    track, loudness = audio.normalize(track)
    audio.mux(clip, track, out)
    audio.mux_sections(list(sections), track, list(section_outs))
    return Narration(cues, lines, loudness)
