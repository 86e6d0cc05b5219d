"""The lessons in teaching order: the one list the CLI, the render pipeline, the title cards and make read.

Runs as a plain script too (`python3 src/blockmath/lessons.py` prints the names), so the Makefile can read the
list before the virtual environment exists: no imports beyond the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lesson:
    name: str  # CLI / make name, and the clip's file name
    file: str  # the scene's file in scenes/
    cls: str  # its Scene subclass
    card: str  # title on its title card ({norm} is replaced by "pre" or "post")
    idea: str  # one line under the title on its card (no-break spaces keep a formula on one line)


LESSONS = (
    Lesson("residual", "residual.py", "ResidualScene", "Residual",
           "a layer revises the token state: h′\u00a0=\u00a0h\u00a0+\u00a0λ·Δ"),
    Lesson("layernorm", "layernorm.py", "LayerNormScene", "LayerNorm", "each token's row is normalized on its own"),
    Lesson("ffn", "ffn.py", "FFNScene", "Feed-forward network", "the same small network runs on every token"),
    Lesson("attention", "attention.py", "AttentionScene", "Attention", "tokens read from earlier tokens"),
    Lesson("block", "block.py", "BlockScene", "The {norm}-norm block", "communication update, then thinking update"),
    Lesson("norm-placement", "norm_placement.py", "NormPlacementScene", "Where LayerNorm sits",
           "pre-norm vs post-norm"),
    Lesson("depth", "depth.py", "DepthScene", "Depth", "why residual stacks stay trainable"),
    Lesson("takeaways", "takeaways.py", "TakeawaysScene", "Takeaways", "what to remember"),
)
CARDS = Lesson("cards", "cards.py", "TitleCards", "", "")  # the title cards the movie puts before each clip
BY_NAME = {lesson.name: lesson for lesson in LESSONS}

if __name__ == "__main__":
    print(" ".join(lesson.name for lesson in LESSONS))
