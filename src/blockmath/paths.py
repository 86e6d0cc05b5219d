"""Where things are: the scenes and manim's config (in a checkout or an installed package), and where clips go.

A clip's folder names its sentence and a hash of every setting, then its quality (and "-narrated" for clips
with speech), so a custom sentence never overwrites the defaults and silent and narrated clips live side by side.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .config import QUALITIES, USER_SETTINGS, BlockConfig
from .lessons import BY_NAME, Lesson
from .tokenize import InputError
from .voice import DEFAULT_VOICE



def scenes_dir() -> Path:
    """The folder of the lesson scenes: inside the installed package, or the checkout's top-level scenes/."""
    installed = resources.files("blockmath") / "scenes"  # a regular install ships them as blockmath/scenes
    if installed.is_dir() and (installed / "kit").is_dir():
        return Path(str(installed))
    checkout = Path(__file__).resolve().parents[2] / "scenes"  # a checkout (the editable install of make setup)
    if checkout.is_dir():
        return checkout
    raise InputError("cannot find the lesson scenes: reinstall blockmath (pip install .) or run from its checkout")


def manim_cfg() -> Path:
    """manim's configuration for every render (shipped beside the scenes)."""
    cfg = scenes_dir() / "manim.cfg"
    if not cfg.is_file():
        raise InputError(f"manim's configuration is missing ({cfg}): reinstall blockmath (pip install .)")
    return cfg


def scene_specs(names: list[str]) -> list[Lesson]:
    """Resolve lesson names ('all' for every lesson), refusing unknown ones."""
    if not names or names == ["all"]:
        return list(BY_NAME.values())
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise InputError(f"unknown scene {unknown[0]!r}; choose from: {', '.join(BY_NAME)} or all")
    return [BY_NAME[n] for n in dict.fromkeys(names)]


def check_quality(quality: str) -> str:
    if quality not in QUALITIES:
        raise InputError(f"quality must be one of {', '.join(QUALITIES)} (480p15/720p30/1080p60/2160p60), got {quality!r}")
    return quality


def parse_resolution(text: str | None) -> tuple[int, int] | None:
    """'WxH' or 'W,H' -> (W, H), both even and in [16, 7680]."""
    if not text:
        return None
    m = re.fullmatch(r"\s*(\d{2,4})\s*[x,]\s*(\d{2,4})\s*", text)
    if not m:
        raise InputError(f"resolution must look like 854x480, got {text!r}")
    w, h = int(m[1]), int(m[2])
    if not (16 <= w <= 7680 and 16 <= h <= 4320) or w % 2 or h % 2:
        raise InputError(f"resolution must be even numbers between 16 and 7680x4320, got {w}x{h}")
    return w, h


def config_env(cfg: BlockConfig) -> dict[str, str]:
    """The config's user settings as BLOCKMATH_* variables (how a manim subprocess receives them: as data)."""
    env = {}
    for key, value in cfg.as_dict().items():
        if key not in USER_SETTINGS:
            continue
        text = " ".join(repr(v) for v in value) if isinstance(value, (tuple, list)) else str(value)
        env["BLOCKMATH_" + key.upper()] = text
    return env


def slug(sentence: str, limit: int = 40) -> str:
    """A short, safe folder name from a sentence: ascii letters, digits and dashes only."""
    ascii_text = unicodedata.normalize("NFKD", sentence).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    s = "-".join(words)[:limit].strip("-")
    return s or "sentence"


def config_id(cfg: BlockConfig) -> str:
    """Folder name for a config: readable slug plus a hash of every setting (collision-free in practice)."""
    digest = hashlib.sha256(json.dumps(cfg.as_dict(), sort_keys=True, ensure_ascii=True).encode()).hexdigest()
    return f"{slug(cfg.sentence)}-{digest[:10]}"


def quality_dir(quality: str, resolution: tuple[int, int] | None, narrated: bool = False) -> str:
    label = QUALITIES[quality] + (f"-{resolution[0]}x{resolution[1]}" if resolution else "")
    return label + ("-narrated" if narrated else "")


@dataclass(frozen=True)
class Target:
    """How and where clips are made: quality, pixel size, media folder, and whether captions are read aloud."""

    quality: str = "l"
    resolution: tuple[int, int] | None = None
    media: Path = field(default_factory=lambda: Path("media"))
    narrate: bool = False
    voice: str = DEFAULT_VOICE

    def folder(self, cfg: BlockConfig) -> Path:
        """media/clips/<slug>-<hash>/<480p15[-WxH][-narrated]>/"""
        return self.media / "clips" / config_id(cfg) / quality_dir(self.quality, self.resolution, self.narrate)

    def label(self) -> str:
        return quality_dir(self.quality, self.resolution, self.narrate)


def clip_path(cfg: BlockConfig, spec: Lesson, target: Target) -> Path:
    """<folder>/<scene>.mp4 (with <scene>.png, the poster, <scene>.json, the stamp, .srt/.vtt, sections/<scene>/)"""
    return target.folder(cfg) / f"{spec.name}.mp4"
