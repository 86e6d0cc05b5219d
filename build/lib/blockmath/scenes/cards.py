"""TitleCards: one short title card per lesson, each its own section; the movie puts them before the clips."""

from __future__ import annotations

from manim import DOWN, VGroup

from blockmath.lessons import LESSONS
from kit.base import TraceScene
from kit.fast import FadeIn, FadeOut
from kit.layout import content_band, place
from kit.style import BODY_SIZE, MUTED, TITLE_SIZE
from kit.widgets import paragraph, sentence_strip


class TitleCards(TraceScene):
    def construct(self):
        for number, lesson in enumerate(LESSONS, start=1):
            self.card(lesson.name, f"{number} · {lesson.card.format(norm=self.trace.config.norm)}", lesson.idea)

    def card(self, name: str, heading: str, idea: str):
        self.beat(name)
        group = VGroup(paragraph(heading, TITLE_SIZE, weight="BOLD"), paragraph(idea, BODY_SIZE, color=MUTED),
                       sentence_strip(self.trace)).arrange(DOWN, buff=0.45)
        place(group, content_band())
        self.play(FadeIn(group), run_time=0.5)
        self.wait(1.5)
        self.play(FadeOut(group), run_time=0.5)
