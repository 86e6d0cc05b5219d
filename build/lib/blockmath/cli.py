"""Command line: `python -m blockmath render|trace|scenes ...`. Errors are one line on stderr, never a traceback."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from .config import QUALITIES, USER_SETTINGS, build_config
from .lessons import BY_NAME as SCENES
from .lessons import CARDS, LESSONS
from .media import check_format, export
from .paths import Target, check_quality, parse_resolution, scene_specs
from .progress import Progress
from .publish import RenderError, sweep_stale_work
from .render import render_many, render_movie, render_transparent
from .tokenize import InputError
from .trace import compute_trace
from .voice import DEFAULT_VOICE, VOICES


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not usage + message
        raise InputError(message)


def read_sentence_file(path: str) -> str:
    """Read a sentence from a UTF-8 text file ('-' for stdin); refuse binary or invalid text."""
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"cannot read sentence file {path!r}: {e.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"sentence file {path!r} is not valid UTF-8 text") from None
    if "\x00" in text:
        raise InputError(f"sentence file {path!r} contains a NUL character")
    return text.strip()


def _add_config_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("what to show (default: BLOCKMATH_* environment variables, then built-in defaults)")
    g.add_argument("--sentence", help="the sentence (up to 16 tokens)")
    g.add_argument("--sentence-file", default=os.environ.get("BLOCKMATH_SENTENCE_FILE") or None, help="read the sentence from a UTF-8 file ('-' for stdin)")
    g.add_argument("--token", help="tracked token: a word in the sentence or a 0-based index (default: 'it', else the last word)")
    g.add_argument("--seed", help="integer seed for embeddings and weights (default 0)")
    g.add_argument("--d-model", dest="d_model", help="vector width (default 8)")
    g.add_argument("--d-ff", dest="d_ff", help="FFN hidden width (default 4 × d_model)")
    g.add_argument("--n-heads", dest="n_heads", help="attention heads (default 2)")
    g.add_argument("--lambdas", help="λ values of the residual sweep, e.g. '0 1 2 1'")
    g.add_argument("--norm", help="LayerNorm placement: pre or post (default pre)")


def _config(args):
    values = {k: getattr(args, k) for k in USER_SETTINGS if getattr(args, k, None) is not None}
    if getattr(args, "sentence_file", None):
        values["sentence"] = read_sentence_file(args.sentence_file)
    return build_config(values)


def _render_inputs(args, narrate_default: bool = False):
    """Validate everything before manim starts: (config, target)."""
    cfg = _config(args).check_displayable()
    compute_trace(cfg)  # refuse bad input before any work
    narrate = narrate_default if args.narrate is None else args.narrate
    voice = (args.voice or DEFAULT_VOICE).strip()
    if voice not in VOICES:
        raise InputError(f"voice must be one of {', '.join(VOICES)}, got {voice!r}")
    target = Target(check_quality(args.quality), parse_resolution(args.resolution), Path(args.media_dir), narrate,
                    voice)
    sweep_stale_work(target.media)
    return cfg, target


def _jobs(args) -> int:
    try:
        jobs = int(args.jobs) if args.jobs not in (None, "") else (os.cpu_count() or 1)
    except ValueError:
        raise InputError(f"jobs must be a whole number, got {args.jobs!r}") from None
    if not 1 <= jobs <= 64:
        raise InputError(f"jobs must be between 1 and 64, got {jobs}")
    return jobs


def _progress(names: list[str], target: Target) -> Progress:
    return Progress(names, target.media, target.label())


def cmd_render(args) -> int:
    specs = scene_specs(args.scenes)
    fmt = check_format(args.format, args.transparent)
    cfg, target = _render_inputs(args)
    if args.transparent:
        for spec in specs:
            print(render_transparent(cfg, spec, target, fmt, args.force))
        return 0
    with _progress([s.name for s in specs], target) as progress:
        clips = render_many(cfg, specs, target, args.force, progress.log, _jobs(args), progress)
    for path in clips:
        print(export(path, fmt, target.media, args.force) if fmt != "mp4" else path)
    return 0


def cmd_movie(args) -> int:
    cfg, target = _render_inputs(args, narrate_default=True)  # a movie is watched: narrated unless --no-narrate
    with _progress([s.name for s in (*LESSONS, CARDS)], target) as progress:
        movie = render_movie(cfg, target, args.force, progress.log, _jobs(args), progress)
    print(movie)
    return 0


def cmd_gallery(args) -> int:
    from .gallery import build_gallery

    cfg, target = _render_inputs(args)
    with _progress([s.name for s in LESSONS], target) as progress:
        index = build_gallery(cfg, target, args.force, progress.log, _jobs(args), progress)
    print(index)
    return 0


def cmd_slides(args) -> int:
    from .slides import build_deck

    cfg, target = _render_inputs(args)
    with _progress([s.name for s in (*LESSONS, CARDS)], target) as progress:
        deck = build_deck(cfg, target, args.force, progress.log, _jobs(args), progress)
    print(deck)
    return 0


def cmd_trace(args) -> int:
    t = compute_trace(_config(args))
    data = {
        "tokens": t.tokens, "tracked": t.tracked, "x": t.block.x, "ln1": t.block.ln1,
        "attn_weights": t.block.attn_weights, "h_attn": t.block.h_attn, "ffn_out": t.block.ffn_out,
        "out": t.block.out,
    }
    print(json.dumps(data, default=lambda a: np.round(a, 6).tolist() if isinstance(a, np.ndarray) else str(a), indent=1))
    return 0


def cmd_scenes(args) -> int:
    for spec in SCENES.values():
        print(f"{spec.name:12s} scenes/{spec.file} {spec.cls}")
    return 0


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m blockmath", description="Teaching videos of a Transformer block's non-attention half.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    r = sub.add_parser("render", help="render scenes to media/clips/<sentence>-<hash>/<quality>/<scene>.mp4")
    r.add_argument("scenes", nargs="*", help=f"scene names ({', '.join(SCENES)}) or all (default)")
    r.add_argument("--format", default=os.environ.get("BLOCKMATH_FORMAT") or "mp4",
                   help="mp4 (default, H.264 for slides), webm, gif or mov; the MP4 is always made too")
    r.add_argument("--transparent", action="store_true", default=os.environ.get("BLOCKMATH_TRANSPARENT", "") in ("1", "yes", "true"),
                   help="transparent background (needs --format webm or mov), to overlay on a slide")
    m = sub.add_parser("movie", help="every scene in teaching order with title cards, as one movie.mp4")
    g = sub.add_parser("gallery", help="every scene, GIF previews, index.html and manifest.json")
    d = sub.add_parser("slides", help="a deck with one slide per beat (manim-slides): deck.html and deck.pptx")
    for p_ in (r, m, g, d):
        _add_render_options(p_)
    r.set_defaults(func=cmd_render)
    m.set_defaults(func=cmd_movie)
    g.set_defaults(func=cmd_gallery)
    d.set_defaults(func=cmd_slides)
    t = sub.add_parser("trace", help="print the numbers the scenes show, as JSON")
    _add_config_options(t)
    t.set_defaults(func=cmd_trace)
    s = sub.add_parser("scenes", help="list the scenes")
    s.set_defaults(func=cmd_scenes)
    return p


def _add_render_options(r: argparse.ArgumentParser) -> None:
    r.add_argument("-q", "--quality", default=os.environ.get("BLOCKMATH_QUALITY") or "l", help="l, m, h or k: " + ", ".join(QUALITIES.values()) + " (default l)")
    r.add_argument("--resolution", default=os.environ.get("BLOCKMATH_RESOLUTION"), help="override the pixel size, e.g. 320x180 (for quick tests)")
    r.add_argument("--media-dir", default=os.environ.get("BLOCKMATH_MEDIA") or "media", help="output root (default media)")
    r.add_argument("--force", action="store_true", help="render even if the clip is up to date")
    env_narrate = os.environ.get("BLOCKMATH_NARRATE", "").strip()
    r.add_argument("--narrate", dest="narrate", action="store_true",
                   default={"1": True, "0": False}.get(env_narrate),
                   help="read the captions aloud (AAC in the clips and sections); default: on for movie, off otherwise")
    r.add_argument("--no-narrate", dest="narrate", action="store_false", help="silent clips (also for movie)")
    r.add_argument("--voice", default=os.environ.get("BLOCKMATH_VOICE") or DEFAULT_VOICE,
                   help=f"narration voice: {', '.join(VOICES)} (default {DEFAULT_VOICE})")
    r.add_argument("--jobs", default=os.environ.get("BLOCKMATH_JOBS") or None,
                   help="lessons rendered at once (default: the number of cores)")
    _add_config_options(r)


def main(argv: list[str] | None = None) -> int:
    try:
        args = make_parser().parse_args(argv)
        return args.func(args)
    except (InputError, RenderError) as e:
        print(f"blockmath: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("blockmath: interrupted; no partial clip was kept", file=sys.stderr)
        return 130
