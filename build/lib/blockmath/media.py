"""Video and subtitle files: faststart copies, posters, WebVTT, and exports to other formats (ffmpeg / PyAV)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from .publish import RenderError, WorkFolder
from .tokenize import InputError


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly; raise RenderError if it fails."""
    proc = subprocess.run(["ffmpeg", "-v", "error", "-y", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise RenderError(f"ffmpeg failed: {proc.stderr.decode(errors='replace').strip().splitlines()[-1:]}")


def faststart_copy(src: Path, dst: Path) -> None:
    """The same streams in an MP4 whose index (moov) comes first, so browsers and slides start it at once.

    In-process with PyAV (manim's video library, so present wherever clips render): the same result as
    `ffmpeg -c copy -movflags +faststart`, without starting an ffmpeg process per section.
    """
    import av

    try:
        with av.open(str(src)) as inp, av.open(str(dst), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            streams = {s.index: out.add_stream_from_template(s) for s in inp.streams if s.type in ("video", "audio")}
            for packet in inp.demux(*[inp.streams[i] for i in streams]):
                if packet.dts is not None:  # skip the empty packet that ends each demuxed stream
                    packet.stream = streams[packet.stream.index]
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


FORMATS = ("mp4", "webm", "gif", "mov")
_EXPORT = {  # ffmpeg arguments that turn the H.264 master into another format
    "webm": ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "34", "-row-mt", "1", "-deadline", "good", "-cpu-used", "4",
             "-pix_fmt", "yuv420p", "-c:a", "libopus", "-b:a", "96k"],
    "mov": ["-c", "copy", "-movflags", "+faststart"],  # the same H.264 (and AAC) streams in QuickTime (Keynote)
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
    with WorkFolder(media, f"{clip.stem}-{suffix}") as work:
        tmp = work / f"out.{suffix.split('.')[-1]}"
        ffmpeg("-i", str(clip), *_EXPORT[suffix], str(tmp))
        os.replace(tmp, out)
    return out
