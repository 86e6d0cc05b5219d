"""Render lessons with manim in subprocesses: predictable paths, atomic output, exact up-to-date checks, speech.

No manim import here: this module decides what to render and where; manim runs as `python -m blockmath.manim_run`
(manim's CLI, recording the files it imported). Several lessons render side by side with `jobs` > 1.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .config import BlockConfig
from .lessons import CARDS, LESSONS, Lesson
from .media import faststart_copy, ffmpeg, poster_frame, srt_to_vtt
from .paths import Target, clip_path, config_env, manim_cfg, scenes_dir
from .publish import (
    RenderError,
    WorkFolder,
    clip_up_to_date,
    file_digest,
    inputs_digest,
    publish,
    raise_interrupt,
    sources_digest,
    up_to_date,
)

_RUNNING: set[subprocess.Popen] = set()  # manim processes under way (stopped on an interrupt)
_LOCK = threading.Lock()


def _run_manim(cfg: BlockConfig, spec: Lesson, target: Target, work: Path, transparent_format: str | None = None,
               progress=None) -> tuple[Path, list[str]]:
    """Render spec in its own work folder (own partial-movie files, so parallel renders never collide).
    Returns the video and the project files the render imported (for the clip's stamp)."""
    variant = ["--save_sections"] if transparent_format is None else ["-t", "--format", transparent_format]
    cmd = [sys.executable, "-m", "blockmath.manim_run", "render", "--config_file", str(manim_cfg()),
           "-q", target.quality, "--media_dir", str(work), "-o", spec.name, *variant, "--progress_bar", "none",
           "-v", "WARNING", str(scenes_dir() / spec.file), spec.cls]
    if target.resolution:
        cmd[cmd.index("-q"):cmd.index("-q")] = ["-r", f"{target.resolution[0]},{target.resolution[1]}"]
    media = target.media
    env = {**os.environ, **config_env(cfg), "BLOCKMATH_GLYPH_CACHE": str((media / ".cache" / "glyphs").resolve()),
           "BLOCKMATH_IMPORTS_OUT": str(work / "imports.json"), "BLOCKMATH_PROGRESS_OUT": str(work / "progress"),
           "BLOCKMATH_NARRATE": "1" if target.narrate else "0"}
    if target.narrate:
        env |= {"BLOCKMATH_VOICE": target.voice, "BLOCKMATH_NARRATION_OUT": str(work / "narration.json"),
                "BLOCKMATH_SPEECH_CACHE": str((media / ".cache" / "speech").resolve())}
    with open(work / "manim.log", "wb") as logf:
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, env=env, cwd=work)
        with _LOCK:
            _RUNNING.add(proc)
        try:
            if progress is not None:
                progress.watch(spec.name, proc, work / "progress")
            returncode = proc.wait()
        finally:
            with _LOCK:
                _RUNNING.discard(proc)
            if proc.poll() is None:  # interrupted while waiting: manim must not outlive us
                proc.terminate()
                proc.wait()
    if returncode != 0:
        logs = media / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        shutil.copy(work / "manim.log", logs / f"{spec.name}.log")
        raise RenderError(f"rendering {spec.name} failed (manim exit {returncode}); see {logs / (spec.name + '.log')}")
    produced = sorted(work.glob(f"videos/**/{spec.name}.{transparent_format or 'mp4'}"))
    if not produced:
        raise RenderError(f"rendering {spec.name} produced no video")
    try:
        imported = json.loads((work / "imports.json").read_text())
    except (OSError, ValueError):
        raise RenderError(f"rendering {spec.name} did not record what it imported") from None
    return produced[0], imported


def _speech_digest(target: Target) -> str:
    """What a clip's sound depends on besides the scene: the voice (engine versions) and the mixing code."""
    if not target.narrate:
        return "silent"
    from .voice import VoiceUnavailable, voice_id

    try:
        vid = voice_id(target.voice)
    except (VoiceUnavailable, ValueError) as e:
        raise RenderError(f"narration needs its voice: {e} (install the voice extra: make setup)") from None
    here = Path(__file__).parent
    return vid + file_digest(here / "audio.py") + file_digest(here / "narration.py")


def _add_sound(target: Target, produced: Path, work: Path, clip: Path, sections: list[Path], outs: list[Path]) -> None:
    """The clip and its sections with their narration (AAC 48 kHz, loudness-normalised), or silent copies."""
    if not target.narrate:
        faststart_copy(produced, clip)  # moov first: slide-safe
        for src, dst in zip(sections, outs):
            faststart_copy(src, dst)
        return
    from . import audio, narration

    cues = [narration.Cue(c["start"], c["start"], c["text"]) for c in json.loads((work / "narration.json").read_text())]
    try:
        if cues:
            narration.narrate_cues(produced, cues, clip, target.media / ".cache" / "speech", target.voice,
                                   sections, outs)
        else:  # nothing to say (the title cards): a silent track, so the movie's parts all have sound
            for src, dst in [(produced, clip), *zip(sections, outs)]:
                audio.with_silence(src, dst)
    except audio.AudioError as e:
        raise RenderError(str(e)) from None


def render_scene(cfg: BlockConfig, spec: Lesson, target: Target, force: bool = False, log=print,
                 progress=None) -> Path:
    """Render one lesson to its clip path (plus poster, per-beat sections, subtitles), unless it is up to date."""
    out = clip_path(cfg, spec, target)
    speech = _speech_digest(target)

    def digest(sources: list[str]) -> str:
        return inputs_digest(cfg, spec, target.label(), sources_digest(sources) + speech)

    if not force and clip_up_to_date(out, digest):
        log(f"up to date: {out}")
        if progress is not None:
            progress.finished(spec.name)
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    log(f"rendering {spec.name} ({target.label()}) -> {out}")
    with WorkFolder(target.media, spec.name) as work:
        produced, sources = _run_manim(cfg, spec, target, work, progress=progress)
        clip, poster, sections = work / "clip.mp4", work / "poster.png", work / "sections"
        sections.mkdir()
        index = json.loads(next(produced.parent.glob("sections/*.json")).read_text())
        names = [f"{i:02d}-{sec['name']}" for i, sec in enumerate(index)]
        _add_sound(target, produced, work, clip, [produced.parent / "sections" / sec["video"] for sec in index],
                   [sections / f"{n}.mp4" for n in names])
        poster_frame(produced, poster)
        files = {".png": poster}
        srt = produced.with_suffix(".srt")
        if srt.is_file():  # the on-screen captions as subtitles, for viewers without sound
            (work / "captions.vtt").write_text(srt_to_vtt(srt.read_text(encoding="utf-8")), encoding="utf-8")
            files |= {".srt": srt, ".vtt": work / "captions.vtt"}
        files[".mp4"] = clip  # last: the clip appears once everything beside it is in place
        publish(out, files, sections, {"inputs": digest(sources), "sources": sources, "config": cfg.as_dict(),
                                       "scene": spec.cls, "target": target.label(), "sections": names})
        if progress is not None:
            progress.finished(spec.name)  # while the work folder (and its progress file) is still there
    return out


def render_transparent(cfg: BlockConfig, spec: Lesson, target: Target, fmt: str, force: bool = False,
                       log=print) -> Path:
    """The lesson on a transparent background, to lay over a slide: webm (VP9 + alpha) or mov (ProRes 4444)."""
    out = clip_path(cfg, spec, target).with_name(f"{spec.name}-transparent.{fmt}")
    stamp = out.with_name(f"{spec.name}-transparent-{fmt}.json")

    def digest(sources: list[str]) -> str:
        return inputs_digest(cfg, spec, target.label(), sources_digest(sources) + fmt + "prores_ks-4444")

    if not force and clip_up_to_date(out, digest, stamp):
        log(f"up to date: {out}")
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    log(f"rendering {spec.name} on a transparent background -> {out}")
    with WorkFolder(target.media, f"{spec.name}-transparent") as work:
        silent = Target(target.quality, target.resolution, target.media)  # an overlay carries no speech
        produced, sources = _run_manim(cfg, spec, silent, work, transparent_format=fmt)
        if fmt == "mov":  # manim writes QuickTime RLE; ProRes 4444 is what Keynote and PowerPoint expect for overlays
            prores = work / "prores.mov"
            ffmpeg("-i", str(produced), "-c:v", "prores_ks", "-profile:v", "4444", "-pix_fmt", "yuva444p10le",
                   "-alpha_bits", "16", "-vendor", "apl0", str(prores))
            produced = prores
        publish(out, {out.suffix: produced}, None,
                {"inputs": digest(sources), "sources": sources, "config": cfg.as_dict(), "format": fmt}, stamp)
    return out


def render_many(cfg: BlockConfig, specs: list[Lesson], target: Target, force: bool = False, log=print,
                jobs: int = 1, progress=None) -> list[Path]:
    """Render several lessons, `jobs` at a time (each in its own manim process and work folder), in order."""
    if jobs <= 1 or len(specs) <= 1:
        return [render_scene(cfg, s, target, force, log, progress) for s in specs]
    old = signal.signal(signal.SIGTERM, raise_interrupt)  # a kill becomes a clean interrupt, as with one job
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = [pool.submit(render_scene, cfg, s, target, force, log, progress) for s in specs]
        return [f.result() for f in futures]
    except BaseException:
        for f in futures:
            f.cancel()
        with _LOCK:
            for proc in _RUNNING:  # stop the manim processes; their threads then clean their work folders
                proc.terminate()
        raise
    finally:
        pool.shutdown(wait=True)
        signal.signal(signal.SIGTERM, old)


def teaching_set(cfg: BlockConfig, target: Target, force: bool = False, log=print, jobs: int = 1,
                 progress=None) -> tuple[list[tuple[Lesson, Path, list[Path]]], str]:
    """Every lesson in teaching order, rendered if needed, as (lesson, clip, its title-card sections); and a digest
    of all their inputs (what the movie and the slide deck are made from)."""
    *clips, cards = render_many(cfg, [*LESSONS, CARDS], target, force, log, jobs, progress)
    scenes = [(spec, clip, sorted(cards.parent.glob(f"sections/cards/*-{spec.name}.mp4")))
              for spec, clip in zip(LESSONS, clips)]
    digest = hashlib.sha256("".join(json.loads(p.with_suffix(".json").read_text())["inputs"]
                                    for p in [cards, *clips]).encode()).hexdigest()
    return scenes, digest


def render_movie(cfg: BlockConfig, target: Target, force: bool = False, log=print, jobs: int = 1,
                 progress=None) -> Path:
    """Every lesson in teaching order, each after its title card, as one video (narrated if target.narrate)."""
    scenes, digest = teaching_set(cfg, target, force, log, jobs, progress)
    out = scenes[0][1].with_name("movie.mp4")
    parts = [p for _, clip, card in scenes for p in (*card, clip)]
    if not force and up_to_date(out, digest):
        log(f"up to date: {out}")
        return out
    log(f"joining {len(scenes)} clips and their title cards -> {out}")
    if target.narrate:
        from .audio import AudioError, check_concat

        try:
            check_concat(parts)
        except AudioError as e:
            raise RenderError(str(e)) from None
    with WorkFolder(target.media, "movie") as work:
        listing = work / "parts.txt"
        quote = "'\\''"  # ffmpeg's concat syntax: ' inside '...' is written '\''
        listing.write_text("".join(f"file '{str(p.resolve()).replace(chr(39), quote)}'\n" for p in parts))
        movie = work / "movie.mp4"
        ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", "-movflags", "+faststart", str(movie))
        publish(out, {".mp4": movie}, None, {"inputs": digest, "config": cfg.as_dict(), "parts": [p.name for p in parts]})
    return out
