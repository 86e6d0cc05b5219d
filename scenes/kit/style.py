"""The visual language every clip shares: one colour per component, type sizes, spacing, the frame's shape.

Colours mean the same thing in every clip: the residual stream is always STREAM, LayerNorm always LN, attention
(its weights and its update) always ATTN, the MLP (FFN) and its update always MLP, a result always RESULT.
Matrix cells show values with a diverging scale (NEG, ZERO, POS), never with a component colour.
"""

from __future__ import annotations

from dataclasses import dataclass

from manim import ManimColor, config

BG = ManimColor("#11151c")
INK = ManimColor("#e8e6e3")  # main text
MUTED = ManimColor("#8a93a3")  # secondary text, axes, guides
PANEL = ManimColor("#1b212b")  # a panel's background, a little lighter than BG

# ---------------------------------------------------------------- components
STREAM = ManimColor("#6fd6bd")  # the residual stream: the token state x, h
LN = ManimColor("#c792ea")  # LayerNorm
ATTN = ManimColor("#7aa2f7")  # attention: its weights, values and its update Δattn
ATTN_2 = ManimColor("#b9c9ff")  # attention's second head (same hue, lighter)
MLP = ManimColor("#f07178")  # the MLP / FFN and its update Δmlp
DELTA = MLP  # an update Δ: in the residual clip it is the MLP's update
RESULT = ManimColor("#f4e285")  # a result: h′, the block's output; also the tracked token's highlight

# ---------------------------------------------------------------- stack variants compared in one chart (not components)
# a residual + pre-norm stack is drawn in STREAM (its stream is a clean direct path); these are the other two
POST_NORM = ManimColor("#9ece6a")  # a residual stack with post-norm (a LayerNorm on the stream after every add)
NO_RESIDUAL = ManimColor("#d19a66")  # a stack without the residual path

# ---------------------------------------------------------------- values (matrix cells, bars)
POS = ManimColor("#f5a623")  # positive values
NEG = ManimColor("#3f8fd8")  # negative values
ZERO = ManimColor("#2a313c")  # value 0

# ---------------------------------------------------------------- type
FONT = "DejaVu Sans"
MONO = "DejaVu Sans Mono"
TITLE_SIZE = 40
BODY_SIZE = 26
SMALL_SIZE = 20
NOTE_SIZE = 17  # the smallest text anywhere (capitals 10 px tall at 480p)
NUMBER_SIZE = 18
CELL_NUMBER_MIN = 14  # the smallest number inside a matrix cell (digits 8 px tall at 480p)

# the typography floor, in pixels on a frame whose short side is REFERENCE_PX (854×480, 480×480, 480×854)
REFERENCE_PX = 480
FLOOR_PX = 10.0  # capitals and digits, everywhere but inside matrix cells
CELL_FLOOR_PX = 8.0  # digits inside matrix cells

# ---------------------------------------------------------------- spacing (scene units)
BUFF = 0.25  # between related things
GAP = 0.6  # between groups
SHORT_SIDE = 8.0  # the frame's short side in scene units, whatever its shape: type keeps its size
MARGIN = 0.3  # the safe frame: this far inside every edge


@dataclass(frozen=True)
class Frame:
    """The frame's size in scene units, read from manim's config (never a constant)."""

    width: float
    height: float

    @property
    def safe_width(self) -> float:
        return self.width - 2 * MARGIN

    @property
    def safe_height(self) -> float:
        return self.height - 2 * MARGIN

    @property
    def portrait(self) -> bool:
        return self.height > self.width * 1.05

    @property
    def landscape(self) -> bool:
        return self.width > self.height * 1.05

    @property
    def square(self) -> bool:
        """Neither portrait nor landscape: the sides within 5 % of each other."""
        return not (self.portrait or self.landscape)

    @property
    def px_per_unit(self) -> float:
        """Pixels per scene unit at the reference size (the frame's short side REFERENCE_PX pixels long)."""
        return REFERENCE_PX / min(self.width, self.height)


def frame() -> Frame:
    """The frame of the scene being rendered."""
    return Frame(float(config.frame_width), float(config.frame_height))


def configure_frame() -> Frame:
    """Give manim's frame the pixels' shape with SHORT_SIDE units on its short side (call before a camera exists).

    Manim keeps a 16:9 frame of 14.2 × 8 units whatever the pixel size, so a square or vertical video was a
    letterboxed 16:9 picture. Here a 9:16 frame is 8 × 14.2 units and a square one 8 × 8: text keeps its size
    relative to the short side, and the layout gets the frame's real shape.
    """
    w, h = config.pixel_width, config.pixel_height
    if w >= h:
        config.frame_height, config.frame_width = SHORT_SIDE, SHORT_SIDE * w / h
    else:
        config.frame_width, config.frame_height = SHORT_SIDE, SHORT_SIDE * h / w
    return frame()
