"""Command line: `python -m blockmath render|trace|scenes ...`. Errors are one line on stderr, never a traceback."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from .config import QUALITIES, USER_SETTINGS, build_config
from .render import (
    SCENES,
    RenderError,
    check_format,
    check_quality,
    export,
    parse_resolution,
    render_movie,
    render_scene,
    render_transparent,
    scene_specs,
    sweep_stale_work,
)
from .tokenize import InputError
from .trace import compute_trace


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


def _render_inputs(args):
    """Validate everything before manim starts: (config, quality, resolution, media dir)."""
    cfg = _config(args).check_displayable()
    compute_trace(cfg)  # refuse bad input before any work
    quality, resolution, media = check_quality(args.quality), parse_resolution(args.resolution), Path(args.media_dir)
    sweep_stale_work(media)
    return cfg, quality, resolution, media


def cmd_render(args) -> int:
    specs = scene_specs(args.scenes)
    fmt = check_format(args.format, args.transparent)
    cfg, quality, resolution, media = _render_inputs(args)
    for spec in specs:
        if args.transparent:
            print(render_transparent(cfg, spec, quality, fmt, media, resolution, args.force))
            continue
        path = render_scene(cfg, spec, quality, media, resolution, args.force)
        print(export(path, fmt, media, args.force) if fmt != "mp4" else path)
    return 0


def cmd_movie(args) -> int:
    cfg, quality, resolution, media = _render_inputs(args)
    print(render_movie(cfg, quality, media, resolution, args.force))
    return 0


def cmd_gallery(args) -> int:
    from .gallery import build_gallery

    cfg, quality, resolution, media = _render_inputs(args)
    print(build_gallery(cfg, quality, media, resolution, args.force))
    return 0


def cmd_slides(args) -> int:
    from .slides import build_deck

    cfg, quality, resolution, media = _render_inputs(args)
    print(build_deck(cfg, quality, media, resolution, args.force))
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
