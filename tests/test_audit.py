"""The layout audit finds what a viewer would see as broken, and every lesson passes it over the whole matrix."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
manim = pytest.importorskip("manim")
sys.path.insert(0, str(ROOT / "scenes"))

from manim import DOWN, LEFT, RIGHT, UP, Line, Rectangle  # noqa: E402

from blockmath.audit import MATRIX, run  # noqa: E402
from blockmath.lessons import LESSONS  # noqa: E402


def offences(build, size=(854, 480)):
    """Audit a tiny scene whose construct() adds what build() returns; the kinds of offence found."""
    from kit.audit import Auditor
    from kit.base import TraceScene

    class Probe(TraceScene):
        def construct(self):
            self.beat("probe")
            self.add(*build())
            self.wait(0.1)

    auditor = Auditor()
    with manim.tempconfig({"dry_run": True, "quality": "low_quality", "disable_caching": True,
                           "pixel_width": size[0], "pixel_height": size[1]}):
        Probe.auditor = auditor
        scene = Probe()
        scene.render()
        auditor.finish(scene)
    return sorted({o.kind for o in auditor.offences}), auditor.offences


def test_a_clean_layout_passes():
    from kit.text import text

    kinds, _ = offences(lambda: [text("alone", 26).shift(UP), text("apart", 26).shift(DOWN)])
    assert kinds == []


def test_a_label_crossed_by_a_line_is_found():
    """The block lesson's old defect: a branch line running through the "residual stream" label."""
    from kit.text import text

    label = text("residual stream", 20)
    line = Line(label.get_bottom() + DOWN + RIGHT * 0.5, label.get_top() + UP + RIGHT * 0.5)
    kinds, found = offences(lambda: [label, line])
    assert kinds == ["crossed"] and "'residual stream'" in found[0].what


def test_a_line_behind_an_opaque_box_does_not_cross_its_label():
    from kit.style import LN
    from kit.widgets import component_box

    line = Line(LEFT * 3, RIGHT * 3)
    box = component_box("LN", LN)  # an opaque back hides the line under the label
    kinds, _ = offences(lambda: [line, box])
    assert kinds == []


def test_overlapping_texts_and_a_number_outside_its_cell_are_found():
    from kit.text import number, text

    cell = Rectangle(width=0.4, height=0.3, fill_opacity=1, stroke_width=0)
    inside = number(0.5, 1, 14, cell=True).move_to(cell)  # its own background: fine
    spill = number(-12.25, 2, 18).move_to(cell.copy().shift(RIGHT * 2)).shift(RIGHT * 0.1)
    other = Rectangle(width=0.4, height=0.3, fill_opacity=1, stroke_width=0).shift(RIGHT * 2)
    kinds, found = offences(lambda: [cell, inside, other, spill, text("one", 26).shift(UP * 2), text("two", 26).shift(UP * 2 + RIGHT * 0.2)])
    assert kinds == ["crossed", "overlap"]
    assert any("'-12.25' is cut" in o.what for o in found) and not any("'0.5'" in o.what for o in found)


def test_text_under_the_floor_and_outside_the_safe_frame_is_found():
    from kit.text import number, text

    kinds, found = offences(lambda: [text("tiny", 20).scale(0.7), number(0.25, 2, 14, cell=True).shift(DOWN),
                                     text("edge", 26).to_edge(RIGHT, buff=0.05)])
    assert kinds == ["floor", "outside"]
    assert [o.what.split()[0] for o in found if o.kind == "floor"] == ["'tiny'"]  # a 14-size cell number is legal


def test_a_letterboxed_tall_frame_is_found():
    from kit.text import text

    small = lambda: [text("a 16:9 picture in a 9:16 frame", 20), Rectangle(width=7, height=3.9)]  # noqa: E731
    assert offences(small, size=(480, 854))[0] == ["empty"]
    filled = lambda: [Rectangle(width=7, height=11)]  # noqa: E731
    assert offences(filled, size=(480, 854))[0] == []


@pytest.mark.parametrize("lesson", [lesson.name for lesson in LESSONS])
def test_every_lesson_passes_the_audit_over_the_matrix(lesson, tmp_path):
    """Each lesson, dry-run in every setting of the matrix (sentences, widths, frames, norms): no offence."""
    found = run([lesson], list(MATRIX), jobs=2, cache=ROOT / "media" / ".cache" / "glyphs", log=lambda _: None)
    assert found == [], "\n".join(found[:40])
