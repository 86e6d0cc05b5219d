"""Render scenes with manim in a subprocess: predictable paths, atomic output, exact up-to-date checks.

No manim import here: this module decides *what* to render and where; manim runs as `python -m manim`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import unicodedata
import uuid
from importlib import metadata
from pathlib import Path

from .config import QUALITIES, BlockConfig
from .lessons import BY_NAME, CARDS, LESSONS, Lesson
from .tokenize import InputError

ROOT = Path(__file__).resolve().parents[2]  # the repository: scenes/ and manim.cfg live here
SCENES_DIR = ROOT / "scenes"
MANIM_CFG = ROOT / "manim.cfg"


SceneSpec = Lesson  # what a render takes: a lesson (or the title cards)
SCENES = BY_NAME


def scene_specs(names: list[str]) -> list[SceneSpec]:
    """Resolve scene names ('all' for every scene), refusing unknown ones."""
    if not names or names == ["all"]:
        return list(SCENES.values())
    unknown = [n for n in names if n not in SCENES]
    if unknown:
        raise InputError(f"unknown scene {unknown[0]!r}; choose from: {', '.join(SCENES)} or all")
    return [SCENES[n] for n in dict.fromkeys(names)]


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
    """The config as BLOCKMATH_* environment variables (how a manim subprocess receives it: as data)."""
    env = {}
    for key, value in cfg.as_dict().items():
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


def quality_dir(quality: str, resolution: tuple[int, int] | None) -> str:
    label = QUALITIES[quality]
    return f"{label}-{resolution[0]}x{resolution[1]}" if resolution else label


def clip_path(media: Path, cfg: BlockConfig, spec: SceneSpec, quality: str, resolution=None) -> Path:
    """media/clips/<slug>-<hash>/<480p15>/<scene>.mp4 (with <scene>.png, the poster, and <scene>.json, the stamp)"""
    return media / "clips" / config_id(cfg) / quality_dir(quality, resolution) / f"{spec.name}.mp4"


def file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def source_roots() -> dict[str, Path]:
    """The folders whose files a render may import: the scenes (with their kit) and this package."""
    return {"scenes": SCENES_DIR, "blockmath": Path(__file__).resolve().parent}


def sources_digest(files: list[str]) -> str:
    """Hash of the code a clip was made from: the files its render imported (as recorded by blockmath.manim_run,
    "root:relative/path"), the manim config and manim's version. No hand-kept list: a module a scene starts to
    import is recorded on the next render, and editing any recorded file makes the clip out of date."""
    roots = source_roots()
    h = hashlib.sha256()
    for name in sorted(set(files)):
        root, _, rel = name.partition(":")
        h.update(f"{name}\0{file_digest(roots[root] / rel) if root in roots else 'missing'}\0".encode())
    h.update(file_digest(MANIM_CFG).encode())
    try:
        h.update(metadata.version("manim").encode())
    except metadata.PackageNotFoundError:
        pass
    return h.hexdigest()


def inputs_digest(cfg: BlockConfig, spec: SceneSpec, quality: str, resolution, sources: str) -> str:
    payload = json.dumps([cfg.as_dict(), spec.name, quality, resolution, sources], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that it appears complete or not at all."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_work(media: Path) -> None:
    """Remove work folders left by renders that were killed (their process is gone)."""
    work_root = media / ".work"
    if not work_root.is_dir():
        return
    for d in work_root.iterdir():
        m = re.search(r"-(\d+)-[0-9a-f]+$", d.name)
        if m and not _pid_alive(int(m[1])):
            shutil.rmtree(d, ignore_errors=True)


class RenderError(RuntimeError):
    """Manim failed; the message points at the log."""


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly; raise RenderError if it fails."""
    proc = subprocess.run(["ffmpeg", "-v", "error", "-y", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise RenderError(f"ffmpeg failed: {proc.stderr.decode(errors='replace').strip().splitlines()[-1:]}")


def faststart_copy(src: Path, dst: Path) -> None:
    """The same video stream in an MP4 whose index (moov) comes first, so browsers and slides start it at once.

    In-process with PyAV (manim's video library, so present wherever clips render): the same result as
    `ffmpeg -c copy -movflags +faststart`, without starting an ffmpeg process per section.
    """
    import av

    try:
        with av.open(str(src)) as inp, av.open(str(dst), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            stream = out.add_stream_from_template(inp.streams.video[0])
            for packet in inp.demux(inp.streams.video[0]):
                if packet.dts is not None:  # skip the empty packet that ends the demux
                    packet.stream = stream
                    out.mux(packet)
    except (av.FFmpegError, OSError, ValueError) as e:
        raise RenderError(f"copying {src.name} failed: {e}") from e


def poster_frame(src: Path, dst: Path, before_end: float = 0.5) -> None:
    """The frame shown `before_end` seconds before the end of a video, as a PNG (as `ffmpeg -sseof`)."""
    import av

    try:
        with av.open(str(src)) as c:
            stream = c.streams.video[0]
            end = float(stream.duration * stream.time_base) if stream.duration else c.duration / av.time_base
            target = max(end - before_end, 0.0)
            c.seek(int(target / stream.time_base), stream=stream)  # lands on the keyframe before target
            frame = None
            for frame in c.decode(stream):
                if frame.time is not None and frame.time >= target - 1e-6:
                    break
            if frame is None:
                raise RenderError(f"{src.name} has no frames")
            frame.to_image().save(dst, format="PNG")
    except (av.FFmpegError, OSError, ValueError) as e:
        raise RenderError(f"reading a poster frame from {src.name} failed: {e}") from e


def srt_to_vtt(srt: str) -> str:
    """WebVTT from SubRip: a header, and '.' instead of ',' before the milliseconds of each timestamp."""
    body = re.sub(r"(\d\d:\d\d:\d\d),(\d\d\d)", r"\1.\2", srt.replace("\r\n", "\n"))
    return "WEBVTT\n\n" + body


def _up_to_date(out: Path, digest: str, stamp: Path | None = None) -> bool:
    """True when out exists and its stamp (default <out>.json) records the same inputs."""
    stamp = stamp or out.with_suffix(".json")
    try:
        return out.is_file() and json.loads(stamp.read_text()).get("inputs") == digest
    except (ValueError, OSError):
        return False


def _clip_up_to_date(out: Path, digest_for, stamp: Path | None = None) -> bool:
    """True when out exists and its stamp records the inputs digest_for(sources) gives for the sources it lists."""
    stamp = stamp or out.with_suffix(".json")
    try:
        sources = json.loads(stamp.read_text()).get("sources")
    except (ValueError, OSError):
        return False
    return isinstance(sources, list) and _up_to_date(out, digest_for(sources), stamp)


def _run_manim(cfg: BlockConfig, spec: SceneSpec, quality: str, resolution, work: Path, media: Path,
               transparent_format: str | None = None) -> tuple[Path, list[str]]:
    """Render spec in its own work folder (own partial-movie files, so parallel renders never collide).
    Returns the video and the project files the render imported (for the clip's stamp)."""
    variant = ["--save_sections"] if transparent_format is None else ["-t", "--format", transparent_format]
    cmd = [sys.executable, "-m", "blockmath.manim_run", "render", "--config_file", str(MANIM_CFG),
           "-q", quality, "--media_dir", str(work), "-o", spec.name, *variant, "--progress_bar", "none",
           "-v", "WARNING", str(SCENES_DIR / spec.file), spec.cls]
    if resolution:
        cmd[cmd.index("-q"):cmd.index("-q")] = ["-r", f"{resolution[0]},{resolution[1]}"]
    with open(work / "manim.log", "wb") as logf:
        env = {**os.environ, **config_env(cfg), "BLOCKMATH_GLYPH_CACHE": str((media / ".cache" / "glyphs").resolve()),
               "BLOCKMATH_IMPORTS_OUT": str(work / "imports.json")}
        proc = subprocess.run(cmd, stdout=logf, stderr=subprocess.STDOUT, env=env, cwd=work)
    if proc.returncode != 0:
        logs = media / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        shutil.copy(work / "manim.log", logs / f"{spec.name}.log")
        raise RenderError(f"rendering {spec.name} failed (manim exit {proc.returncode}); see {logs / (spec.name + '.log')}")
    produced = sorted(work.glob(f"videos/**/{spec.name}.{transparent_format or 'mp4'}"))
    if not produced:
        raise RenderError(f"rendering {spec.name} produced no video")
    try:
        imported = json.loads((work / "imports.json").read_text())
    except (OSError, ValueError):
        raise RenderError(f"rendering {spec.name} did not record what it imported") from None
    return produced[0], imported


class _Work:
    """A private work folder under media/.work, removed afterwards; SIGTERM is turned into a clean interrupt."""

    def __init__(self, media: Path, name: str):
        self.path = (media / ".work" / f"{name}-{os.getpid()}-{uuid.uuid4().hex[:8]}").resolve()

    def __enter__(self) -> Path:
        self.old_term = signal.signal(signal.SIGTERM, _raise_interrupt)
        self.path.mkdir(parents=True)
        return self.path

    def __exit__(self, *exc) -> None:
        signal.signal(signal.SIGTERM, self.old_term)
        shutil.rmtree(self.path, ignore_errors=True)


def replace_dir(built: Path, final: Path) -> None:
    """Put the finished folder `built` at `final` in one rename, replacing what was there."""
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
    if final.exists():
        os.replace(final, old)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(built, final)
    shutil.rmtree(old, ignore_errors=True)


def _publish(out: Path, files: dict[str, Path], sections: Path | None, stamp: dict,
             stamp_path: Path | None = None) -> None:
    """Move finished files into place: the stamp goes last, so a clip counts as done only when all is there."""
    stamp_path = stamp_path or out.with_suffix(".json")
    stamp_path.unlink(missing_ok=True)  # a clip without its stamp is never taken as up to date
    if sections is not None:
        replace_dir(sections, out.parent / "sections" / out.stem)
    for suffix, path in files.items():
        os.replace(path, out.with_suffix(suffix))
    write_atomic(stamp_path, json.dumps(stamp, indent=2).encode())


def render_scene(cfg: BlockConfig, spec: SceneSpec, quality: str, media: Path, resolution=None,
                 force: bool = False, log=print) -> Path:
    """Render one scene to its clip path (plus poster and per-beat sections), unless it is up to date."""
    out = clip_path(media, cfg, spec, quality, resolution)

    def digest(sources: list[str]) -> str:
        return inputs_digest(cfg, spec, quality, resolution, sources_digest(sources))

    if not force and _clip_up_to_date(out, digest):
        log(f"up to date: {out}")
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    log(f"rendering {spec.name} ({quality_dir(quality, resolution)}) -> {out}")
    with _Work(media, spec.name) as work:
        produced, sources = _run_manim(cfg, spec, quality, resolution, work, media)
        clip, poster, sections = work / "clip.mp4", work / "poster.png", work / "sections"
        sections.mkdir()
        index = json.loads(next(produced.parent.glob("sections/*.json")).read_text())
        faststart_copy(produced, clip)  # moov first: slide-safe
        poster_frame(produced, poster)
        for i, sec in enumerate(index):
            faststart_copy(produced.parent / "sections" / sec["video"], sections / f"{i:02d}-{sec['name']}.mp4")
        files = {".png": poster}
        srt = produced.with_suffix(".srt")
        if srt.is_file():  # the on-screen captions as subtitles, for viewers without sound
            (work / "captions.vtt").write_text(srt_to_vtt(srt.read_text(encoding="utf-8")), encoding="utf-8")
            files |= {".srt": srt, ".vtt": work / "captions.vtt"}
        files[".mp4"] = clip  # last: the clip appears once everything beside it is in place
        _publish(out, files, sections,
                 {"inputs": digest(sources), "sources": sources, "config": cfg.as_dict(), "scene": spec.cls,
                  "quality": quality,
                  "resolution": resolution, "sections": [f"{i:02d}-{sec['name']}" for i, sec in enumerate(index)]})
    return out


FORMATS = ("mp4", "webm", "gif", "mov")
_EXPORT = {  # ffmpeg arguments that turn the H.264 master into another format
    "webm": ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "34", "-row-mt", "1", "-deadline", "good", "-cpu-used", "4",
             "-pix_fmt", "yuv420p"],
    "mov": ["-c", "copy", "-movflags", "+faststart"],  # the same H.264 stream in a QuickTime container (Keynote)
    "gif": ["-vf", "fps=12,scale='min(iw,854)':-2:flags=lanczos,split[a][b];[a]palettegen=max_colors=128[p];"
                   "[b][p]paletteuse=dither=bayer", "-loop", "0"],
    "preview.gif": ["-vf", "fps=8,scale=320:-2:flags=lanczos,split[a][b];[a]palettegen=max_colors=64[p];"
                           "[b][p]paletteuse=dither=bayer", "-loop", "0"],
}


def check_format(fmt: str, transparent: bool) -> str:
    if fmt not in FORMATS:
        raise InputError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if transparent and fmt not in ("webm", "mov"):
        raise InputError("a transparent clip needs format webm (VP9 with alpha) or mov (ProRes 4444)")
    return fmt


def export(clip: Path, suffix: str, media: Path, force: bool = False, log=print) -> Path:
    """A copy of the MP4 master in another format (webm, mov, gif, preview.gif), redone when the master is newer."""
    out = clip.with_name(f"{clip.stem}.{suffix}")
    if not force and out.is_file() and out.stat().st_mtime >= clip.stat().st_mtime:
        log(f"up to date: {out}")
        return out
    log(f"converting -> {out}")
    with _Work(media, f"{clip.stem}-{suffix}") as work:
        tmp = work / f"out.{suffix.split('.')[-1]}"
        _ffmpeg("-i", str(clip), *_EXPORT[suffix], str(tmp))
        os.replace(tmp, out)
    return out


def render_transparent(cfg: BlockConfig, spec: SceneSpec, quality: str, fmt: str, media: Path, resolution=None,
                       force: bool = False, log=print) -> Path:
    """The scene on a transparent background, to lay over a slide: webm (VP9 + alpha) or mov (ProRes 4444)."""
    out = clip_path(media, cfg, spec, quality, resolution).with_name(f"{spec.name}-transparent.{fmt}")
    stamp = out.with_name(f"{spec.name}-transparent-{fmt}.json")

    def digest(sources: list[str]) -> str:
        return inputs_digest(cfg, spec, quality, resolution, sources_digest(sources) + fmt + "prores_ks-4444")

    if not force and _clip_up_to_date(out, digest, stamp):
        log(f"up to date: {out}")
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    log(f"rendering {spec.name} on a transparent background -> {out}")
    with _Work(media, f"{spec.name}-transparent") as work:
        produced, sources = _run_manim(cfg, spec, quality, resolution, work, media, transparent_format=fmt)
        if fmt == "mov":  # manim writes QuickTime RLE; ProRes 4444 is what Keynote and PowerPoint expect for overlays
            prores = work / "prores.mov"
            _ffmpeg("-i", str(produced), "-c:v", "prores_ks", "-profile:v", "4444", "-pix_fmt", "yuva444p10le",
                    "-alpha_bits", "16", "-vendor", "apl0", str(prores))
            produced = prores
        _publish(out, {out.suffix: produced}, None,
                 {"inputs": digest(sources), "sources": sources, "config": cfg.as_dict(), "format": fmt}, stamp)
    return out




def teaching_set(cfg: BlockConfig, quality: str, media: Path, resolution=None, force: bool = False,
                 log=print) -> tuple[list[tuple[SceneSpec, Path, list[Path]]], str]:
    """Every scene in teaching order, rendered if needed, as (spec, clip, its title-card sections); and a digest
    of all their inputs (what the movie and the slide deck are made from)."""
    specs = list(LESSONS)
    clips = [render_scene(cfg, spec, quality, media, resolution, force, log) for spec in specs]
    cards = render_scene(cfg, CARDS, quality, media, resolution, force, log)
    scenes = [(spec, clip, sorted(cards.parent.glob(f"sections/cards/*-{spec.name}.mp4")))
              for spec, clip in zip(specs, clips)]
    digest = hashlib.sha256("".join(json.loads(p.with_suffix(".json").read_text())["inputs"]
                                    for p in [cards, *clips]).encode()).hexdigest()
    return scenes, digest


def render_movie(cfg: BlockConfig, quality: str, media: Path, resolution=None, force: bool = False,
                 log=print) -> Path:
    """Every scene in teaching order, each after its title card, as one video."""
    scenes, digest = teaching_set(cfg, quality, media, resolution, force, log)
    out = scenes[0][1].with_name("movie.mp4")
    parts = [p for _, clip, card in scenes for p in (*card, clip)]
    if not force and _up_to_date(out, digest):
        log(f"up to date: {out}")
        return out
    log(f"joining {len(scenes)} clips and their title cards -> {out}")
    with _Work(media, "movie") as work:
        listing = work / "parts.txt"
        quote = "'\\''"  # ffmpeg's concat syntax: ' inside '...' is written '\''
        listing.write_text("".join(f"file '{str(p.resolve()).replace(chr(39), quote)}'\n" for p in parts))
        movie = work / "movie.mp4"
        _ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", "-movflags", "+faststart", str(movie))
        _publish(out, {".mp4": movie}, None, {"inputs": digest, "config": cfg.as_dict(), "parts": [p.name for p in parts]})
    return out
