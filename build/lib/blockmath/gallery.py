"""A clip set's manifest.json and index.html gallery: every clip with poster, captions and downloads."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from .config import BlockConfig
from .lessons import LESSONS
from .media import export
from .paths import Target
from .publish import write_atomic
from .render import render_many
from .trace import compute_trace

MEDIA_SUFFIXES = {".mp4", ".webm", ".gif", ".mov", ".png", ".srt", ".vtt"}


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def probe(path: Path) -> dict:
    """Duration and pixel size of a video or picture, read by ffprobe."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height:format=duration", "-of", "json", str(path)],
                         capture_output=True, text=True)
    try:
        info = json.loads(out.stdout)
        stream = info["streams"][0]
    except (ValueError, KeyError, IndexError):
        return {}
    result = {"width": stream["width"], "height": stream["height"]}
    duration = info.get("format", {}).get("duration")
    if duration not in (None, "N/A") and path.suffix != ".png":
        result["duration"] = round(float(duration), 3)
    return result


def manifest(folder: Path, cfg: BlockConfig) -> dict:
    """What is in a clip folder, and what made it: settings, tokens, versions, and per file size and sha256."""
    trace = compute_trace(cfg)
    files = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in MEDIA_SUFFIXES):
        entry = {"path": path.relative_to(folder).as_posix(), "bytes": path.stat().st_size,
                 "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
        if path.suffix in {".mp4", ".webm", ".gif", ".mov", ".png"}:
            entry |= probe(path)
        files.append(entry)
    return {
        "sentence": cfg.sentence, "tokens": list(trace.tokens), "tracked_token": trace.tracked_token,
        "seed": cfg.seed, "config": cfg.as_dict(),
        "versions": {"blockmath": _version("blockmath"), "manim": _version("manim"), "numpy": _version("numpy"),
                     "python": platform.python_version()},
        "files": files,
    }


def _data_url(vtt: Path) -> str:
    """The captions inline: Chromium refuses a .vtt file next to a page opened from disk (file:// is cross-origin)."""
    return "data:text/vtt;charset=utf-8;base64," + base64.b64encode(vtt.read_bytes()).decode("ascii")


def _card(name: str, folder: Path) -> str:
    """One clip: video with poster and captions track, its beats, and download links."""
    e = html.escape
    clip = f"{name}.mp4"
    links = [f'<a href="{e(p.name)}" download>{e(p.name[len(name) + 1:])}</a>'
             for p in sorted(folder.glob(f"{name}.*")) if p.suffix in MEDIA_SUFFIXES]
    sections = sorted((folder / "sections" / name).glob("*.mp4"))
    beats = "".join(f'<li><a href="sections/{e(name)}/{e(p.name)}">{e(p.stem)}</a></li>' for p in sections)
    vtt = folder / f"{name}.vtt"
    track = (f'<track kind="captions" src="{_data_url(vtt)}" srclang="en" label="English" default>'
             if vtt.exists() else "")
    return f"""<figure id="{e(name)}">
  <video controls preload="metadata" poster="{e(name)}.png"><source src="{e(clip)}" type="video/mp4">{track}</video>
  <figcaption><b>{e(name)}</b>
    <div>download: {' · '.join(links)}</div><details><summary>beats (one clip each)</summary><ol>{beats}</ol></details>
  </figcaption>
</figure>"""


def gallery_html(folder: Path, cfg: BlockConfig, names: list[str]) -> str:
    e = html.escape
    cards = "\n".join(_card(n, folder) for n in names)
    extras = [f'<a href="{href}">{label}</a>' for href, label in (("movie.mp4", "the whole movie"),
              ("slides/deck.html", "slide deck (reveal.js)"), ("slides/deck.pptx", "slide deck (PowerPoint)"))
              if (folder / href).exists()]
    movie = f"<p>{' · '.join(extras)}</p>" if extras else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>blockmath: {e(cfg.sentence)}</title>
<link rel="icon" href="data:,">
<style>
body {{ background: #11151c; color: #e8e6e3; font-family: "DejaVu Sans", sans-serif; margin: 2em; }}
a {{ color: #7fd1b9; }} code {{ color: #f4e285; }}
main {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 560px), 1fr)); gap: 1.5em; }}
figure {{ margin: 0; }} figcaption {{ margin-top: 0.4em; line-height: 1.6; }}
video {{ width: 100%; aspect-ratio: 16 / 9; background: #000; display: block; }}
</style></head><body>
<h1>blockmath clips</h1>
<p>sentence: <code>{e(cfg.sentence)}</code> · seed <code>{cfg.seed}</code> · tracked token
<code>{e(compute_trace(cfg).tracked_token)}</code> · <a href="manifest.json">manifest.json</a></p>
{movie}
<main>
{cards}
</main>
</body></html>
"""


def build_gallery(cfg: BlockConfig, target: Target, force: bool = False, log=print, jobs: int = 1,
                  progress=None) -> Path:
    """Render every lesson (if needed), add looping GIF previews, and write index.html and manifest.json."""
    names = [lesson.name for lesson in LESSONS]
    clips = render_many(cfg, list(LESSONS), target, force, log, jobs, progress)
    for clip in clips:
        export(clip, "preview.gif", target.media, force, log)
    folder = clips[0].parent
    write_atomic(folder / "index.html", gallery_html(folder, cfg, names).encode("utf-8"))
    write_atomic(folder / "manifest.json", json.dumps(manifest(folder, cfg), indent=1, ensure_ascii=False).encode())
    return folder / "index.html"
