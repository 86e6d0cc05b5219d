"""A slide deck of every scene with manim-slides: one slide per section (beat), each scene after its title card.

The slides reuse the clips' per-beat section files, so nothing is rendered twice. manim-slides turns them into a
reveal.js page (deck.html with deck_assets/) and a PowerPoint file (deck.pptx), both made offline. The page loads
reveal.js from deck_assets/reveal.js/ (copied from the venv's vendored copy, see revealjs.py), never from a CDN, so it
is shown without a network. Each slide's speaker notes are the captions shown during that beat.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
from importlib import metadata
from pathlib import Path

from . import revealjs
from .config import BlockConfig
from .gallery import probe
from .paths import Target
from .publish import RenderError, WorkFolder, replace_dir, up_to_date
from .render import teaching_set

BG = "#11151c"  # the scenes' background (scenes/kit/style.py), around the video on a slide
ASSETS = "deck_assets"  # the deck's folder of videos, next to deck.html
REVEAL = f"{ASSETS}/reveal.js"  # where the page loads reveal.js from (manim-slides' cdn_url), relative to deck.html


def _seconds(stamp: str) -> float:
    h, m, s = stamp.replace(",", ".").split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def srt_cues(srt: Path) -> list[tuple[float, str]]:
    """(start time, text) of each subtitle, in order."""
    if not srt.is_file():
        return []
    cues = []
    for block in re.split(r"\n\s*\n", srt.read_text(encoding="utf-8").strip()):
        lines = block.splitlines()
        if len(lines) >= 3 and "-->" in lines[1]:
            cues.append((_seconds(lines[1].split("-->")[0].strip()), " ".join(lines[2:])))
    return cues


def _scene_slides(clip: Path, card: list[Path]) -> list[dict]:
    """The title card, then one slide per section of the clip, with that section's captions as notes."""
    sections = [clip.parent / "sections" / clip.stem / f"{name}.mp4"
                for name in json.loads(clip.with_suffix(".json").read_text())["sections"]]
    cues, t, slides = srt_cues(clip.with_suffix(".srt")), 0.0, []
    slides += [{"file": c, "notes": ""} for c in card]
    for sec in sections:
        end = t + probe(sec).get("duration", 0.0)
        slides.append({"file": sec, "notes": "\n".join(text for start, text in cues if t - 1e-3 <= start < end - 1e-3)})
        t = end
    return slides


def build_deck(cfg: BlockConfig, target: Target, force: bool = False, log=print, jobs: int = 1,
               progress=None) -> Path:
    """Render what is missing, then write deck.html (+ deck_assets/) and deck.pptx next to the clips."""
    os.environ.setdefault("TQDM_DISABLE", "1")  # manim-slides' progress bars would bury the one-line log
    try:
        from manim_slides.config import PresentationConfig, SlideConfig
        from manim_slides.convert import PowerPoint, RevealJS
    except ImportError:
        raise RenderError("manim-slides is not installed here; run `make setup` (or pip install -e '.[render]')")
    revealjs.require()  # before any rendering: the page cannot be made without it
    parts, clips_digest = teaching_set(cfg, target, force, log, jobs, progress)
    folder = parts[0][1].parent / "slides"
    out = folder / "deck.html"
    digest = hashlib.sha256((clips_digest + metadata.version("manim-slides") + revealjs.INTEGRITY
                             + Path(__file__).read_text()).encode()).hexdigest()
    if not force and up_to_date(out, digest, folder / "deck.json"):
        log(f"up to date: {out}")
        return out
    log(f"building slides for {len(parts)} scenes -> {out}")
    with WorkFolder(target.media, "slides") as work:
        info = probe(parts[0][1])
        size = (info["width"], info["height"])  # every clip of a set has the same size
        scenes = [_scene_slides(clip, card) for _, clip, card in parts]

        def decks(notes):  # one presentation per scene; reveal.js pastes notes into HTML, so those are escaped
            return [PresentationConfig(slides=[SlideConfig(file=s["file"], rev_file=s["file"], notes=notes(s["notes"]))
                                               for s in slides], resolution=size, background_color=BG)
                    for slides in scenes]

        width, height = 1920, round(1920 * size[1] / size[0])  # the slide's size; the video is scaled to fill it
        built = work / "slides"
        html_decks = decks(html.escape)
        try:
            RevealJS(presentation_configs=html_decks, title=html.escape(f"blockmath: {cfg.sentence}"), width=width,
                     height=height, background_color=BG, assets_dir=ASSETS, reveal_version=revealjs.VERSION,
                     cdn_url=REVEAL).convert_to(built / "deck.html")
            revealjs.copy_used((built / "deck.html").read_text(encoding="utf-8"), f"{REVEAL}/", built / REVEAL)
            PowerPoint(presentation_configs=decks(str), width=width, height=height).convert_to(built / "deck.pptx")
        except (OSError, ValueError) as e:
            raise RenderError(f"manim-slides could not build the deck: {e}") from e
        stamp = {"inputs": digest, "config": cfg.as_dict(), "slides": sum(len(d.slides) for d in html_decks)}
        (built / "deck.json").write_text(json.dumps(stamp, indent=2))  # last: the deck counts as done
        replace_dir(built, folder)  # the whole deck appears at once
    return out

