"""Captions read aloud while a scene renders: what the scene needs from the narration engine (blockmath.voice)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from manim import config

from blockmath.voice import DEFAULT_VOICE

SPEECH_PAUSE = 0.4  # seconds of quiet after a caption is read, before the next caption


class Narrator:
    """Reads captions aloud while a scene renders (blockmath.render turns it on with BLOCKMATH_NARRATE=1): each
    caption is spoken from the moment it is on screen, and the scene holds until it has been read. The cues go
    to BLOCKMATH_NARRATION_OUT for the render to mix; the voice's files stay in BLOCKMATH_SPEECH_CACHE."""

    def __init__(self, cache: str, voice: str, out: str):
        from blockmath import voice as tts

        self.tts, self.cache, self.voice, self.out = tts, Path(cache), voice, out
        self.cues: list[dict] = []
        self.until = 0.0  # when the last line has been read, plus a pause

    @classmethod
    def from_env(cls) -> Narrator | None:
        env = os.environ
        if env.get("BLOCKMATH_NARRATE") != "1" or not env.get("BLOCKMATH_SPEECH_CACHE") or config.dry_run:
            return None
        return cls(env["BLOCKMATH_SPEECH_CACHE"], env.get("BLOCKMATH_VOICE") or DEFAULT_VOICE,
                   env.get("BLOCKMATH_NARRATION_OUT", ""))

    def say(self, text: str, start: float) -> None:
        line = self.tts.narrate(text, self.cache, self.voice)
        self.cues.append({"start": start, "text": text})
        self.until = start + line.duration + SPEECH_PAUSE

    def save(self) -> None:
        if self.out:
            Path(self.out).write_text(json.dumps(self.cues, ensure_ascii=False))
