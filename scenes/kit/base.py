"""TraceScene, the base of every blockmath scene: the frame's shape, the trace, beats, captions and subtitles."""

from __future__ import annotations

from manim import config

from blockmath import Trace, build_config, compute_trace
from kit.fast import BaseScene, FadeIn, FadeOut
from kit.style import BG, INK, configure_frame
from kit.widgets import caption


class TraceScene(BaseScene):
    """Reads the trace for the configured sentence; beats are manim sections; captions are also subtitles.

    `auditor`: set by the layout audit (blockmath.audit) to look at the screen after and during every play.
    """

    auditor = None

    def __init__(self, *args, **kwargs):
        configure_frame()  # before manim builds the camera: the frame takes the pixels' shape
        super().__init__(*args, **kwargs)

    def setup(self):
        self.camera.background_color = BG
        self.trace: Trace = compute_trace(build_config().check_displayable())
        self.beat_name = ""

    caption = None  # the current bottom caption

    def beat(self, name: str):
        """Start a named beat (a manim section, so slides can play it on its own)."""
        self.beat_name = name
        self.next_section(name)

    def swap_caption(self, s: str, color=INK, *also, say: str | None = None):
        """Replace the bottom caption (old out, then new in, never both at once), with any extra animations.

        Each caption is also written to the clip's subtitles (.srt) for the time it is on screen. `say`: how the
        narration reads it aloud, when reading the caption itself would sound wrong (default: the caption).
        """
        self.narration = say
        new = caption(s, color)
        if self.caption is not None:
            self.play(FadeOut(self.caption), run_time=0.3)
        self.close_subcaption()
        self.play(FadeIn(new), *also, run_time=0.5)
        self.caption = new
        self._subcaption = (s, self.renderer.time)

    def close_subcaption(self):
        """End the current caption's subtitle at the present time."""
        if getattr(self, "_subcaption", None):
            content, start = self._subcaption
            now = self.renderer.time
            self.add_subcaption(content, duration=now - start, offset=start - now)
            self._subcaption = None

    def tear_down(self):
        self.close_subcaption()
        super().tear_down()

    # ---------------------------------------------------------------- the layout audit's hooks

    def play(self, *args, **kwargs):
        super().play(*args, **kwargs)
        if self.auditor is not None:
            self.auditor.observe(self, "end")

    def play_internal(self, skip_rendering: bool = False):
        if self.auditor is not None and config.dry_run:  # halfway through, as a viewer would see it
            for animation in self.animations:
                animation.interpolate(0.5)
            self.auditor.observe(self, "mid")
        super().play_internal(skip_rendering)
