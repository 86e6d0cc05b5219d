"""`make audit`: dry-run every lesson over a matrix of configurations and check what a viewer would see.

Each (configuration, lesson) pair runs the scene with manim's dry_run (nothing is drawn or encoded) and the
checks of scenes/kit/audit.py after and halfway through every animation. Prints each offence with its lesson,
beat and configuration; exit status 1 when there is any.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .lessons import BY_NAME, LESSONS
from .paths import scenes_dir

# 24-character words, wide letters first: the longest tokens the tokenizer accepts
LONG_WORDS = [f"{c}{'mw' * 11}{c.lower()}" for c in "WMABCDEFGHKNOPQR"]


@dataclass(frozen=True)
class Setting:
    """One configuration of the audit matrix: BLOCKMATH_* values and a pixel size (its aspect is what counts)."""

    name: str
    env: dict = field(default_factory=dict)
    size: tuple[int, int] = (854, 480)


MATRIX = (
    Setting("default"),
    Setting("1-token", {"SENTENCE": LONG_WORDS[0]}),
    Setting("2-tokens", {"SENTENCE": " ".join(LONG_WORDS[:2])}),
    Setting("16-long-tokens", {"SENTENCE": " ".join(LONG_WORDS)}),
    Setting("d4", {"D_MODEL": "4"}),
    Setting("d16", {"D_MODEL": "16"}),
    Setting("d32", {"D_MODEL": "32", "N_HEADS": "4"}),
    Setting("square", size=(480, 480)),
    Setting("vertical", size=(480, 854)),
    Setting("post-norm", {"NORM": "post"}),
    Setting("vertical-16-long-d32", {"SENTENCE": " ".join(LONG_WORDS), "D_MODEL": "32"}, (480, 854)),
)


def audit_one(lesson_name: str, setting: Setting) -> list[str]:
    """Dry-run one lesson in one setting; the offences found, as lines."""
    import importlib

    import manim

    for key in [k for k in os.environ if k.startswith("BLOCKMATH_") and k != "BLOCKMATH_GLYPH_CACHE"]:
        del os.environ[key]
    os.environ.update({f"BLOCKMATH_{k}": v for k, v in setting.env.items()})
    from kit.audit import Auditor

    lesson = BY_NAME[lesson_name]
    module = importlib.import_module(Path(lesson.file).stem)
    auditor = Auditor()
    with manim.tempconfig({"dry_run": True, "quality": "low_quality", "disable_caching": True,
                           "pixel_width": setting.size[0], "pixel_height": setting.size[1],
                           "media_dir": _WORKER_MEDIA}):
        scene_cls = getattr(module, lesson.cls)
        scene_cls.auditor = auditor
        try:
            scene = scene_cls()
            scene.render()
            auditor.finish(scene)
        except Exception as e:  # a scene that cannot run in a setting is the worst layout of all
            where = traceback.extract_tb(e.__traceback__)[-1]
            return [f"{lesson_name} · {setting.name} · crash     {type(e).__name__}: {e} "
                    f"({Path(where.filename).name}:{where.lineno})"]
        finally:
            scene_cls.auditor = None
    return [f"{lesson_name} · {setting.name} · {o}" for o in auditor.offences]


_WORKER_MEDIA = ""  # this process's own manim media folder: manim writes an SVG per new text there, and two
# processes sharing one would read each other's half-written files


def _init_worker(cache: str, scratch: str, pool: bool = False) -> None:
    global _WORKER_MEDIA
    _WORKER_MEDIA = str(Path(scratch) / f"manim-{os.getpid()}")
    sys.path.insert(0, str(scenes_dir()))
    os.environ["BLOCKMATH_GLYPH_CACHE"] = cache
    os.environ.setdefault("BLOCKMATH_FAST", "1")
    if pool:  # texts made while a lesson module is imported (before audit_one's tempconfig) go there too
        import manim

        manim.config.media_dir = _WORKER_MEDIA


def run(lessons: list[str], settings: list[Setting], jobs: int, cache: Path, log=print) -> list[str]:
    """Every lesson in every setting, on `jobs` processes; all offences, in matrix order."""
    pairs = [(lesson, s) for s in settings for lesson in lessons]
    with tempfile.TemporaryDirectory(prefix="blockmath-audit-") as scratch:
        if jobs <= 1:
            _init_worker(str(cache), scratch)
            results = [audit_one(*p) for p in pairs]
        else:
            with ProcessPoolExecutor(jobs, initializer=_init_worker,
                                     initargs=(str(cache), scratch, True)) as pool:
                results = list(pool.map(audit_one, *zip(*pairs)))
    offences = [line for r in results for line in r]
    for (lesson, s), r in zip(pairs, results):
        log(f"{'ok ' if not r else 'BAD'} {lesson} · {s.name}" + (f" ({len(r)} offences)" if r else ""))
    return offences


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m blockmath.audit", description=__doc__.splitlines()[0])
    p.add_argument("--lessons", default="all", help="comma-separated lesson names (default all)")
    p.add_argument("--settings", default="all", help="comma-separated settings: " + ", ".join(s.name for s in MATRIX))
    p.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 4), help="processes (default: the cores)")
    p.add_argument("--media-dir", default=os.environ.get("BLOCKMATH_MEDIA") or "media", help="for the glyph cache")
    args = p.parse_args(argv)
    names = [lesson.name for lesson in LESSONS] if args.lessons == "all" else args.lessons.split(",")
    by_name = {s.name: s for s in MATRIX}
    chosen = list(MATRIX) if args.settings == "all" else [by_name.get(n) for n in args.settings.split(",")]
    unknown = [n for n in names if n not in BY_NAME] + [n for n, s in zip(args.settings.split(","), chosen) if s is None]
    if unknown:
        print(f"blockmath: error: unknown lesson or setting {unknown[0]!r}", file=sys.stderr)
        return 2
    offences = run(names, chosen, args.jobs, Path(args.media_dir).resolve() / ".cache" / "glyphs")
    for line in offences:
        print(line)
    print(f"{len(offences)} offences in {len(names) * len(chosen)} runs" if offences else
          f"layout audit passed: {len(names)} lessons × {len(chosen)} settings")
    return 1 if offences else 0


if __name__ == "__main__":
    sys.exit(main())
