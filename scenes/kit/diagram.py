"""One Transformer block as a drawing, the same in every clip: the residual stream left to right, the attention
and MLP branches above it, a ⊕ where each update is added, and the LayerNorm boxes where `norm` puts them (pre-norm:
on the branches, before attention and the MLP; post-norm: on the stream, after each ⊕).

Colours follow the visual language: stream STREAM, LayerNorm LN, attention (its branch and Δattn) ATTN, the MLP
(its branch and Δmlp) MLP. Names come from kit.names, so the drawing says what the clip's formulas say.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, Arrow, Dot, SurroundingRectangle, VGroup, VMobject

from kit.names import names
from kit.style import ATTN, LN, MLP, NOTE_SIZE, RESULT, SMALL_SIZE, STREAM
from kit.text import text
from kit.widgets import component_box, plus_node

BOX_H = 0.5  # height of a component box
RISE = 0.95  # the branches' boxes sit this far above the stream (centre to centre)
GAP = 0.22  # between two boxes, and between a box and a branch's corner
PLUS_R = 0.2  # radius of an ⊕
STROKE = 3

BRANCH_COLOR = {"attn": ATTN, "mlp": MLP}
BOX_LABEL = {"ln1": "LN₁", "attn": "Attention", "ln2": "LN₂", "mlp": "MLP"}
BOX_COLOR = {"ln1": LN, "attn": ATTN, "ln2": LN, "mlp": MLP}


def block_steps(norm: str) -> list[tuple[str, tuple[str, ...], str | None]]:
    """The block as (branch, boxes on the branch, LN box on the stream after its ⊕) for each of its two steps."""
    if norm == "pre":
        return [("attn", ("ln1", "attn"), None), ("mlp", ("ln2", "mlp"), None)]
    return [("attn", ("attn",), "ln1"), ("mlp", ("mlp",), "ln2")]


class BlockDiagram(VGroup):
    """A block drawn left to right around its residual stream, true for the norm placement. `compact()` gives the
    narrowest drawing (for a square or tall frame).

    Attributes: stream (the arrow), boxes {"ln1", "attn", "ln2", "mlp"}, plus (the two ⊕), branches {"attn", "mlp"}
    (each branch's lines), deltas {"attn", "mlp"} (the update's name beside the line into its ⊕), ends (the x and
    out labels), stream_label, stops (three points on the stream: input, after the attention step, output).
    """

    def __init__(self, norm: str, rise: float = RISE, gap: float = GAP, stream_label: bool = True, lead: float = 0.3,
                 **kwargs):
        super().__init__(**kwargs)
        n = names(norm)
        self.norm = norm
        self.boxes: dict[str, VGroup] = {}
        self.branches: dict[str, VGroup] = {}
        self.deltas: dict[str, VMobject] = {}
        self.plus = VGroup()
        lines, forks, boxes, deltas = VGroup(), VGroup(), VGroup(), VGroup()
        x_label = text(n.x, SMALL_SIZE, STREAM)
        x = x_label.width + 0.15 + 0.25  # the stream starts after the x label
        stops = [x - 0.3]
        for branch, on_branch, on_stream in block_steps(norm):
            color = BRANCH_COLOR[branch]
            fork = x
            bx = fork + gap
            for key in on_branch:
                b = component_box(BOX_LABEL[key], BOX_COLOR[key], height=BOX_H)
                b.move_to(np.array([bx + b.width / 2, rise, 0]))
                self.boxes[key] = b
                boxes.add(b)
                bx += b.width + gap
            join = bx + PLUS_R
            path = VMobject(stroke_color=color, stroke_width=STROKE).set_points_as_corners(
                [np.array([fork, 0, 0]), np.array([fork, rise, 0]), np.array([join, rise, 0])])
            down = Arrow(np.array([join, rise, 0]), np.array([join, PLUS_R, 0]), buff=0, color=color,
                         stroke_width=STROKE, tip_length=0.14, max_tip_length_to_length_ratio=0.4)
            self.branches[branch] = VGroup(path, down)
            lines.add(self.branches[branch])
            forks.add(Dot(np.array([fork, 0, 0]), radius=0.06, color=color))
            self.plus.add(plus_node(np.array([join, 0, 0]), PLUS_R))
            tag = text(n.attn if branch == "attn" else n.mlp, NOTE_SIZE, color)  # inside the branch's U
            tag.next_to(np.array([join, (rise - BOX_H / 2 + PLUS_R) / 2, 0]), LEFT, buff=0.16)
            self.deltas[branch] = tag
            deltas.add(tag)
            x = join + PLUS_R + lead
            if on_stream is not None:
                b = component_box(BOX_LABEL[on_stream], BOX_COLOR[on_stream], height=BOX_H)
                b.move_to(np.array([x - lead / 3 + b.width / 2, 0, 0]))
                self.boxes[on_stream] = b
                boxes.add(b)
                x = b.get_right()[0] + lead
            stops.append(x - lead / 2)
        end = x + lead * 0.8
        stops[-1] = end
        self.stream = Arrow(np.array([stops[0], 0, 0]), np.array([end, 0, 0]), buff=0, color=STREAM,
                            stroke_width=5, tip_length=0.2, max_tip_length_to_length_ratio=0.1)
        x_label.next_to(self.stream.get_start(), LEFT, buff=0.15)
        out_label = text(n.out, SMALL_SIZE, STREAM).next_to(self.stream.get_end(), RIGHT, buff=0.12)
        self.ends = VGroup(x_label, out_label)
        self.stops = VGroup(*[Dot(np.array([s, 0, 0]), radius=0.001).set_opacity(0) for s in stops])
        self.add(self.stream, lines, forks, self.plus, boxes, deltas, self.ends, self.stops)
        self.stream_label = None
        if stream_label:  # under the stream, where no branch line runs
            self.stream_label = text("residual stream", NOTE_SIZE, STREAM)
            self.stream_label.next_to(self.stream, DOWN, buff=0.12).align_to(self.stream, LEFT)
            self.add(self.stream_label)

    def stream_y(self) -> float:
        return float(self.stream.get_center()[1])

    def rise(self) -> float:
        """Height of the drawing above its stream."""
        return float(self.get_top()[1] - self.stream_y())

    def box_outline(self, key: str):
        return self.boxes[key].box

    def ring(self, key: str, color=RESULT) -> SurroundingRectangle:
        """A frame marking one part of the drawing, where it is now: a box ("ln1", "attn", "ln2", "mlp"), an ⊕
        ("plus1", "plus2") or the whole stream ("stream", with its ends)."""
        part = {"plus1": self.plus[0], "plus2": self.plus[-1], "stream": VGroup(self.stream, self.ends)}.get(key)
        return SurroundingRectangle(self.boxes[key] if part is None else part, color=color, buff=0.06,
                                    stroke_width=3)

    @classmethod
    def compact(cls, norm: str, **kwargs) -> BlockDiagram:
        """The same drawing with tighter spacing (about 7.1 units wide instead of 8)."""
        return cls(norm, gap=0.12, lead=0.2, **kwargs)
