"""TraceScene, the base of every blockmath scene: the frame's shape, the trace, beats, captions and subtitles."""

from __future__ import annotations

import os
from pathlib import Path

from manim import VGroup, config

from blockmath import Trace, build_config, compute_trace
from kit.fast import BaseScene, FadeIn, FadeOut
from kit.narrator import Narrator
from kit.style import BG, INK, configure_frame
from kit.widgets import caption

PROGRESS_OUT = os.environ.get("BLOCKMATH_PROGRESS_OUT", "")  # blockmath.progress reads the video made so far here


class TraceScene(BaseScene):
    """Reads the trace for the configured sentence; beats are manim sections; captions are also subtitles and,
    in a narrated render, speech.

    `auditor`: set by the layout audit (blockmath.audit) to look at the screen after and during every play.
    """

    auditor = None
    narrator = None

    def __init__(self, *args, **kwargs):
        configure_frame()  # before manim builds the camera: the frame takes the pixels' shape
        super().__init__(*args, **kwargs)

    def setup(self):
        self.camera.background_color = BG
        self.trace: Trace = compute_trace(build_config().check_displayable())
        self.beat_name = ""
        self.narrator = Narrator.from_env()

    caption = None  # the current bottom caption

    def beat(self, name: str):
        """Start a named beat (a manim section, so slides can play it on its own)."""
        self.beat_name = name
        self.next_section(name)

    def swap_caption(self, s: str, color=INK, *also, say: str | None = None):
        """Replace the bottom caption (old out, then new in, never both at once), with any extra animations.

        Each caption is also written to the clip's subtitles (.srt) for the time it is on screen, and in a narrated
        render read aloud from then on; the scene holds the previous caption until it has been read. `say`: what to
        read aloud when reading the caption itself would sound wrong (default: the caption).
        """
        new = caption(s, color)
        self.hold_for_speech()
        if self.caption is not None:
            self.play(FadeOut(self.caption), run_time=0.3)
        self.close_subcaption()
        self.play(FadeIn(new), *also, run_time=0.5)
        self.caption = new
        self._subcaption = (s, self.renderer.time)
        if self.narrator is not None:
            self.narrator.say(say or s, self.renderer.time)

    def hold_for_speech(self):
        """Wait until the caption being read aloud has been read (a no-op in a silent render)."""
        if self.narrator is not None and self.renderer.time < self.narrator.until - 1e-3:
            self.wait(self.narrator.until - self.renderer.time)

    def close_subcaption(self):
        """End the current caption's subtitle at the present time."""
        if getattr(self, "_subcaption", None):
            content, start = self._subcaption
            now = self.renderer.time
            self.add_subcaption(content, duration=now - start, offset=start - now)
            self._subcaption = None

    def tear_down(self):
        self.hold_for_speech()
        self.close_subcaption()
        if self.narrator is not None:
            self.narrator.save()
        super().tear_down()

    def vanish(self, *mobs, run_time: float = 0.6):
        """Fade mobjects out and take them (and their parts, wherever they sit) off the scene."""
        self.play(FadeOut(VGroup(*mobs)), run_time=run_time)
        self.remove(*[m for mob in mobs for m in mob.get_family()])

    # ---------------------------------------------------------------- the layout audit's hooks

    def play(self, *args, **kwargs):
        super().play(*args, **kwargs)
        if self.auditor is not None:
            self.auditor.observe(self, "end")
        if PROGRESS_OUT and not config.dry_run:  # how much video is made: the render's progress display reads it
            Path(PROGRESS_OUT).write_text(f"{self.renderer.time:.2f}")

    def play_internal(self, skip_rendering: bool = False):
        if self.auditor is not None and config.dry_run:  # halfway through, as a viewer would see it
            for animation in self.animations:
                animation.interpolate(0.5)
            self.auditor.observe(self, "mid")
        super().play_internal(skip_rendering)
