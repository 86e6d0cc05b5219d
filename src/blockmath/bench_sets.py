"""Benchmark of whole sets (part of `make bench`): lessons rendered one at a time against two at a time (--jobs),
and a narrated set against a silent one, with the speech cache cold and warm.

Narration makes clips longer (each caption stays until it has been read), so the narrated figures are reported
both as wall time and per second of video.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .bench_measure import failure, log, render_command, run_measured, video_seconds
from .lessons import LESSONS

NARRATION_LIMIT = 0.15  # a narrated set, speech cache warm, takes at most 15 % more wall time than a silent one


def clip_paths(stdout: str) -> list[Path]:
    """The clips a `render` run reports: the last line per clip is its path alone (a "rendering … -> path" or
    "up to date: path" line names the same clip before it)."""
    return [Path(line) for line in stdout.splitlines() if line.endswith(".mp4") and not line.startswith(
        ("rendering ", "up to date: "))]


def _render_set(media: Path, quality: str, resolution, *extra: str) -> dict:
    """`render all` (every lesson) into media: wall time, peak memory and the seconds of video made."""
    run = run_measured(render_command("all", quality, resolution, media, *extra), cwd=media.parent)
    if run["returncode"] != 0:
        raise RuntimeError(failure(run, "render all"))
    clips = clip_paths(run["stdout"])
    video = sum(video_seconds(c) for c in clips)
    return {"command": run["command"], "wall_s": run["wall_s"], "video_s": round(video, 2),
            "s_per_video_s": round(run["wall_s"] / video, 4) if video else None, "max_rss_mb": run["max_rss_mb"],
            "steal": run["steal"], "clips": len(clips)}


def measure_jobs(quality: str, resolution, tmp: Path, errors: list[str]) -> dict:
    """The whole set with --jobs 1 and --jobs 2, each into a fresh media folder (same glyph cache warmth)."""
    out = {"quality": quality, "resolution": resolution, "runs": {}}
    warm = tmp / "jobs-warm" / "media"
    warm.mkdir(parents=True)
    try:
        log("jobs: warming the glyph cache with one set ...")
        _render_set(warm, quality, resolution, "--jobs", "2", "--sentence", "Warm the glyph cache.")
        for jobs in (1, 2):
            media = tmp / f"jobs-{jobs}" / "media"
            media.mkdir(parents=True)
            shutil.copytree(warm / ".cache", media / ".cache")
            log(f"jobs: the whole set at -q{quality} with --jobs {jobs} ...")
            out["runs"][jobs] = _render_set(media, quality, resolution, "--jobs", str(jobs))
            log(f"  {out['runs'][jobs]['wall_s']:.1f} s")
        out["speedup"] = round(out["runs"][1]["wall_s"] / out["runs"][2]["wall_s"], 2)
    except (RuntimeError, OSError, ValueError) as e:
        errors.append(f"jobs: {e}")
        out["error"] = str(e)
    return out


def measure_narration(quality: str, resolution, tmp: Path, errors: list[str]) -> dict:
    """The whole set silent, narrated with a cold speech cache, and narrated again with it warm (video re-made)."""
    out = {"quality": quality, "resolution": resolution, "limit": NARRATION_LIMIT}
    media = tmp / "narration" / "media"
    media.mkdir(parents=True)
    try:
        log(f"narration: the whole set at -q{quality}, silent (glyph cache warmed first) ...")
        _render_set(media, "l", (192, 108), "--jobs", "2")  # glyphs only: the timed runs below share them
        out["silent"] = _render_set(media, quality, resolution, "--force", "--no-narrate")
        log(f"  {out['silent']['wall_s']:.1f} s; narrated, speech cache cold ...")
        out["narrated_cold"] = _render_set(media, quality, resolution, "--force", "--narrate")
        log(f"  {out['narrated_cold']['wall_s']:.1f} s; narrated, speech cache warm ...")
        out["narrated_warm"] = _render_set(media, quality, resolution, "--force", "--narrate")
        log(f"  {out['narrated_warm']['wall_s']:.1f} s")
        silent = out["silent"]["wall_s"]
        out["extra_warm"] = round(out["narrated_warm"]["wall_s"] / silent - 1, 3)
        out["extra_cold"] = round(out["narrated_cold"]["wall_s"] / silent - 1, 3)
        out["longer_video"] = round(out["narrated_warm"]["video_s"] / out["silent"]["video_s"] - 1, 3)
        out["pass"] = out["extra_warm"] <= NARRATION_LIMIT
        out["speech_files"] = len(list((media / ".cache" / "speech").glob("*.wav")))
    except (RuntimeError, OSError, ValueError) as e:
        errors.append(f"narration: {e}")
        out.update(error=str(e), **{"pass": None})
    return out


def table_lines(report: dict) -> list[str]:
    """The set figures as plain-text lines for bench.table."""
    lines = []
    j = report.get("jobs")
    if j and "error" not in j:
        r1, r2 = j["runs"][1], j["runs"][2]
        lines += ["", f"The whole set ({len(LESSONS)} lessons) at -q{j['quality']}: one lesson at a time against two",
                  f"  --jobs 1: {r1['wall_s']:.1f} s    --jobs 2: {r2['wall_s']:.1f} s    speed-up ×{j['speedup']:.2f}"
                  f"    (peak memory {r1['max_rss_mb']:.0f} / {r2['max_rss_mb']:.0f} MiB)"]
    n = report.get("narration")
    if n and "error" not in n:
        lines += ["", f"Narration: the whole set at -q{n['quality']}, silent against narrated",
                  f"{'':24} {'wall s':>8} {'video s':>8} {'s/vid s':>8}"]
        for key, name in (("silent", "silent"), ("narrated_cold", "narrated, cache cold"),
                          ("narrated_warm", "narrated, cache warm")):
            r = n[key]
            lines.append(f"{name:24} {r['wall_s']:8.1f} {r['video_s']:8.1f} {r['s_per_video_s']:8.3f}")
        lines.append(f"narrated (warm) takes {n['extra_warm']:+.0%} wall time ({n['extra_cold']:+.0%} cold) for "
                     f"{n['longer_video']:+.0%} longer video; target ≤ +{NARRATION_LIMIT:.0%} warm: "
                     + ("pass" if n["pass"] else "FAIL"))
    return lines
