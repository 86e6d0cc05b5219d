"""Benchmark: `python -m blockmath.bench [--quick] [--json PATH] [--scenes a,b] [--qualities l,h] [--resolution WxH]`.

Every render runs as its own subprocess with a fresh temporary media folder, and is measured as a whole command
(wall seconds, and the peak resident memory of the largest process in its tree). In one run it measures:

* each scene at each quality: seconds of rendering per second of video, next to a baseline clip of the same
  length that only encodes a still frame (scenes/baseline.py, the floor for that resolution), and their ratio;
* a low-quality preview of a sentence never rendered before: the whole `render residual -q l --sentence ...`;
* no-op rebuilds (nothing changed, so every clip is "up to date"), through the CLI and through make;
* how the cost of one scene grows with sentence length and d_model (per video second and per tokens × dims);
* (full mode, or --sets) the whole set with --jobs 1 against --jobs 2, and narrated against silent
  (bench_sets.py).

How one command is timed is in bench_measure.py; the targets and the printed table in bench_report.py.

It prints a table with a pass/fail column next to each target and writes the figures as JSON. Nothing is
asserted: the targets are goals, and wall-clock timings on a shared or busy machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from .bench_measure import (child_env, cpu_ticks, failure, log, machine, measure_render, rate_of, render_command,
                            run_measured, steal_share, video_seconds)
from .bench_report import GROWTH_LIMIT, HQ_LIMIT, NOOP_LIMIT_S, PREVIEW_LIMIT_S, table, targets
from .lessons import BY_NAME as SCENES
from .paths import check_quality, manim_cfg, parse_resolution, quality_dir, scene_specs, scenes_dir
from .tokenize import InputError, tokenize

ROOT = Path(__file__).resolve().parents[2]  # the checkout: the benchmark times `make` targets run there

SCHEMA = 1  # version of the JSON layout

QUICK_RESOLUTION = "192x108"  # small frames keep --quick well under two minutes on two cores
PREVIEW_SCENE = "residual"
SCALING_SCENE = "layernorm"  # the most size-dependent scene: one row of cells per token, one cell per dim
WORDS = ("cats", "dogs", "birds", "fish", "sleep", "run", "sing", "swim",  # one token each
         "every", "day", "and", "night", "it", "rests", "then", "wakes")

MODES = {  # what each mode measures unless the command line says otherwise
    "quick": {"scenes": [PREVIEW_SCENE], "qualities": ["l"], "resolution": QUICK_RESOLUTION,
              "tokens": (2, 16), "dims": (8,), "scaling_resolution": QUICK_RESOLUTION, "preview_runs": 1,
              "sets": False, "sets_quality": "l", "sets_resolution": QUICK_RESOLUTION},
    "full": {"scenes": list(SCENES), "qualities": ["l", "h"], "resolution": None,
             "tokens": (2, 8, 16), "dims": (8, 16), "scaling_resolution": None, "preview_runs": 3,
             "sets": True, "sets_quality": "h", "sets_resolution": None},
}

def measure_baseline(quality: str, resolution, seconds: float, work: Path) -> dict:
    """Render scenes/baseline.py (a still frame held `seconds`) with plain manim: the encoding floor."""
    media = work / "baseline"
    cmd = [sys.executable, "-m", "manim", "render", "--config_file", str(manim_cfg()), "-q", quality,
           "--media_dir", str(media), "--progress_bar", "none", "-v", "WARNING",
           str(scenes_dir() / "baseline.py"), "BaselineScene"]
    if resolution:
        cmd[cmd.index("-q"):cmd.index("-q")] = ["-r", f"{resolution[0]},{resolution[1]}"]
    run = run_measured(cmd, cwd=work, env=child_env({"BLOCKMATH_BASELINE_SECONDS": f"{seconds:.3f}"}))
    if run["returncode"] != 0:
        raise RuntimeError(failure(run, "baseline"))
    clips = [p for p in media.glob("videos/**/BaselineScene.mp4") if "partial_movie_files" not in p.parts]
    if not clips:
        raise RuntimeError("baseline produced no video")
    return rate_of(run, video_seconds(clips[0]))


def measure_scenes(plan: dict, tmp: Path, noop_media: Path, errors: list[str]) -> list[dict]:
    """Every scene at every quality, each next to a baseline of equal length; -q<first> clips are kept for the no-op.

    The first quality is measured last, so that its clips are as fresh as possible when the no-op rebuild runs
    (an edit to the sources in between, by anyone, rightly makes them out of date).
    """
    rows = []
    qualities = plan["qualities"]
    for quality in [*qualities[1:], qualities[0]]:
        for scene in plan["scenes"]:
            res = plan["resolution"]
            label = quality_dir(quality, res)
            row = {"scene": scene, "quality": quality, "label": label}
            work = Path(tempfile.mkdtemp(prefix=f"{scene}-{quality}-", dir=tmp))
            try:
                log(f"{scene} at {label} ...")
                row.update(measure_render(scene, quality, res, work / "media", "--force"))
                log(f"  {row['wall_s']:.1f} s for {row['video_s']:.1f} s of video; baseline ...")
                row["baseline"] = measure_baseline(quality, res, row["video_s"], work)
                row["ratio"] = round(row["s_per_video_s"] / row["baseline"]["s_per_video_s"], 2)
                log(f"  baseline {row['baseline']['wall_s']:.1f} s; ratio {row['ratio']:.1f}")
                if quality == plan["qualities"][0]:
                    shutil.copytree(work / "media" / "clips", noop_media / "clips", dirs_exist_ok=True)
            except (RuntimeError, subprocess.CalledProcessError, OSError, ValueError) as e:
                row["error"] = str(e)
                errors.append(f"{scene} {label}: {e}")
                log(f"  failed: {e}")
            finally:
                shutil.rmtree(work, ignore_errors=True)
            hq = quality == "h" and res is None  # the 1080p60 target applies to real 1080p60 renders only
            row["limit_s_per_video_s"] = HQ_LIMIT if hq else None
            row["pass"] = (row["s_per_video_s"] <= HQ_LIMIT) if hq and "error" not in row else None
            rows.append(row)
    return sorted(rows, key=lambda r: (qualities.index(r["quality"]), plan["scenes"].index(r["scene"])))


def measure_preview(scene: str, media: Path, errors: list[str], runs: int = 1) -> dict:
    """Command -> finished -ql preview of one scene for a sentence this media folder has never seen.

    The media folder has rendered before (its glyph cache holds the titles and captions), as for a teacher
    iterating on sentences; `runs` previews are made, each of a new sentence, and the median is the figure
    (a shared machine's speed drifts from one minute to the next). The very first render, into an empty
    folder, is measured too (cold_wall_s).
    """
    stem = f"Preview {uuid.uuid4().hex[:8]}"
    out = {"scene": scene, "limit_s": PREVIEW_LIMIT_S, "runs_s": []}
    log(f"preview: {scene} -q l for a new sentence, first into an empty media folder ...")
    try:
        cold = measure_render(scene, "l", None, media.parent / "cold-media", "--sentence", f"{stem} is cold.")
        out["cold_wall_s"] = cold["wall_s"]
        log(f"  empty folder: {cold['wall_s']:.1f} s; now {runs} new sentences in the folder that has rendered before")
        for i in range(runs):
            sentence = f"{stem} is new sentence {i + 1}."
            run = measure_render(scene, "l", None, media, "--sentence", sentence)
            if not run["rendered"]:
                raise RuntimeError(f"{sentence!r} was not rendered")
            out["runs_s"].append(run["wall_s"])
            out.setdefault("runs_steal", []).append(run["steal"])
            out.update({k: v for k, v in run.items() if k != "wall_s"}, sentence=sentence)
            log(f"  {run['wall_s']:.1f} s")
        out["wall_s"], out["max_s"] = round(statistics.median(out["runs_s"]), 3), max(out["runs_s"])
        out["pass"] = out["wall_s"] < PREVIEW_LIMIT_S
    except (RuntimeError, subprocess.CalledProcessError, OSError, ValueError) as e:
        out.update(error=str(e), rendered=False)
        out["pass"] = None
        errors.append(f"preview: {e}")
    return out


def _noop(name: str, cmd: list[str], cwd: Path, expect: int, errors: list[str]) -> dict:
    """Run a rebuild that should find everything up to date: expect `up to date` lines, no `rendering` line."""
    log(f"no-op: {name} ...")
    run = run_measured(cmd, cwd=cwd)
    up = run["stdout"].count("up to date")
    ok = run["returncode"] == 0 and up >= expect and "rendering " not in run["stdout"]
    if run["returncode"] != 0:
        errors.append(f"no-op {name}: " + failure(run, cmd[0]))
    log(f"  {run['wall_s']:.2f} s, {'up to date' if ok else 'NOT up to date'}")
    return {"name": name, "command": run["command"], "wall_s": run["wall_s"], "max_rss_mb": run["max_rss_mb"],
            "up_to_date": ok, "output": run["stdout"].strip().splitlines()[:expect + 2], "limit_s": NOOP_LIMIT_S,
            "pass": ok and run["wall_s"] < NOOP_LIMIT_S}


def make_skip_reason() -> str | None:
    """Why `make <scene>` cannot be timed here (None if it can): make missing, or it would (re)install the venv."""
    if shutil.which("make") is None:
        return "make is not installed"
    if sys.prefix == sys.base_prefix:
        return "not running inside a virtual environment, so make would set one up"
    r = subprocess.run(["make", "-q", "-C", str(ROOT), f"VENV={sys.prefix}", f"{sys.prefix}/.installed"],
                       check=False, capture_output=True, env=child_env())
    return None if r.returncode == 0 else f"{sys.prefix}/.installed is missing or out of date, so make would reinstall"


def measure_noops(plan: dict, scene_rows: list[dict], preview: dict, media: Path, errors: list[str]) -> list[dict]:
    """Rebuilds with nothing to do: the preview again, every measured scene again, and make on the preview clip."""
    out = []
    if "error" not in preview:
        again = render_command(preview["scene"], "l", None, media, "--sentence", preview["sentence"])
        out.append(_noop(f"render {preview['scene']} again (same sentence)", again, media.parent, 1, errors))
    quality, res = plan["qualities"][0], plan["resolution"]
    first = [r for r in scene_rows if r["quality"] == quality]
    if first and all("error" not in r for r in first):
        names = ["all"] if set(plan["scenes"]) == set(SCENES) else plan["scenes"]
        cmd = render_command(names[0], quality, res, media)
        cmd[cmd.index(names[0]) + 1:cmd.index(names[0]) + 1] = names[1:]
        size = f" --resolution {res[0]}x{res[1]}" if res else ""
        out.append(_noop(f"render {' '.join(names)} -q {quality}{size} again", cmd, media.parent, len(first), errors))
    else:
        out.append({"name": "render all again", "skipped": "a scene failed to render, so not everything is up to date",
                    "pass": None})
    reason = make_skip_reason() if "error" not in preview else "the preview failed"
    name = f"make -s {preview['scene']} QUALITY=l (up to date)"
    if reason:
        out.append({"name": name, "skipped": reason, "pass": None})
    else:
        cmd = ["make", "-s", "--no-print-directory", "-C", str(ROOT), preview["scene"], "QUALITY=l",
               f"MEDIA={media}", f"SENTENCE={preview['sentence']}", f"VENV={sys.prefix}"]
        out.append(_noop(name, cmd, media.parent, 1, errors))
    return out


def sentence_of(n: int) -> str:
    """A sentence of exactly n tokens."""
    s = " ".join(WORDS[:n])
    assert len(tokenize(s)) == n, s
    return s


def loglog_slope(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares exponent k of y ∝ x^k (None without two distinct x)."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    sxx = sum((x - mx) ** 2 for x in lx)
    return None if sxx == 0 else round(sum((x - mx) * (y - my) for x, y in zip(lx, ly)) / sxx, 3)


def measure_scaling(plan: dict, tmp: Path, errors: list[str]) -> dict:
    """Cost of one scene at -ql across sentence lengths × d_model."""
    scene, res = plan["scaling_scene"], plan["scaling_resolution"]
    out = {"scene": scene, "quality": "l", "label": quality_dir("l", res), "points": [],
           "limit_exponent": GROWTH_LIMIT}
    for d in plan["dims"]:
        for n in plan["tokens"]:
            work = Path(tempfile.mkdtemp(prefix=f"scaling-{n}x{d}-", dir=tmp))
            log(f"scaling: {scene} with {n} tokens, d_model {d} ...")
            try:
                p = measure_render(scene, "l", res, work / "media", "--force", "--sentence", sentence_of(n),
                                   "--d-model", str(d), "--d-ff", str(4 * d))
                p = {"tokens": n, "d_model": d, "td": n * d, **p,
                     "s_per_video_s_per_td": round(p["s_per_video_s"] / (n * d), 6)}
                out["points"].append(p)
                log(f"  {p['wall_s']:.1f} s for {p['video_s']:.1f} s of video")
            except (RuntimeError, subprocess.CalledProcessError, OSError, ValueError) as e:
                errors.append(f"scaling {n}x{d}: {e}")
                log(f"  failed: {e}")
            finally:
                shutil.rmtree(work, ignore_errors=True)
    pts = out["points"]
    out["exponent"] = loglog_slope([p["td"] for p in pts], [p["s_per_video_s"] for p in pts]) if len(pts) > 1 else None
    out["wall_exponent"] = loglog_slope([p["td"] for p in pts], [p["wall_s"] for p in pts]) if len(pts) > 1 else None
    out["pass"] = None if out["exponent"] is None else out["exponent"] <= GROWTH_LIMIT
    return out

def run_bench(plan: dict, tmp_root: str | None = None) -> dict:
    """Measure everything in plan; the report as plain data."""
    started, t0, errors, ticks = datetime.now(timezone.utc), time.perf_counter(), [], cpu_ticks()
    report = {"schema": SCHEMA, "mode": plan["mode"], "started": started.isoformat(timespec="seconds"),
              "note": "wall-clock seconds of whole commands; noisy on shared or busy machines",
              "machine": machine(), "settings": {k: v for k, v in plan.items() if k != "mode"}}
    with tempfile.TemporaryDirectory(prefix="blockmath-bench-", dir=tmp_root) as tmp_name:
        tmp = Path(tmp_name)
        media = tmp / "media"  # the kept -ql clips: the preview and the no-op rebuilds run here
        media.mkdir()
        report["scenes"] = measure_scenes(plan, tmp, media, errors)
        report["preview"] = measure_preview(plan["preview_scene"], media, errors, plan["preview_runs"])
        report["noop"] = measure_noops(plan, report["scenes"], report["preview"], media, errors)
        report["scaling"] = measure_scaling(plan, tmp, errors)
        if plan["sets"]:
            from .bench_sets import measure_jobs, measure_narration

            report["jobs"] = measure_jobs("l", plan["sets_resolution"], tmp, errors)
            report["narration"] = measure_narration(plan["sets_quality"], plan["sets_resolution"], tmp, errors)
    report["targets"] = targets(report["scenes"], report["preview"], report["noop"], report["scaling"])
    if report.get("narration") and "extra_warm" in report["narration"]:
        n = report["narration"]
        report["targets"].append({"name": f"narrated set, speech cache warm (-q{n['quality']}): extra wall time",
                                  "value": n["extra_warm"], "limit": n["limit"], "unit": "share", "pass": n["pass"]})
    report["errors"] = errors
    report["machine"]["load_end"] = round(os.getloadavg()[0], 2)
    report["machine"]["steal"] = steal_share(ticks, cpu_ticks())
    report["total_s"] = round(time.perf_counter() - t0, 1)
    return report


def make_plan(args) -> dict:
    """The measurements to make: the mode's defaults, overridden by the command line; refuses bad names."""
    mode = "quick" if args.quick else "full"
    d = MODES[mode]
    scenes = [s.name for s in scene_specs(args.scenes.split(","))] if args.scenes else d["scenes"]
    qualities = [check_quality(q.strip()) for q in args.qualities.split(",")] if args.qualities else d["qualities"]
    res = parse_resolution(args.resolution if args.resolution is not None else d["resolution"])
    if args.preview_runs is not None and not 1 <= args.preview_runs <= 20:
        raise InputError(f"--preview-runs must be between 1 and 20, got {args.preview_runs}")
    return {"mode": mode, "scenes": scenes, "qualities": list(dict.fromkeys(qualities)), "resolution": res,
            "preview_scene": PREVIEW_SCENE if PREVIEW_SCENE in SCENES else scenes[0],
            "scaling_scene": SCALING_SCENE if SCALING_SCENE in SCENES else scenes[0],
            "tokens": d["tokens"], "dims": d["dims"], "scaling_resolution": parse_resolution(d["scaling_resolution"]),
            "preview_runs": args.preview_runs or d["preview_runs"], "sets": d["sets"] if args.sets is None else args.sets,
            "sets_quality": check_quality(args.sets_quality) if args.sets_quality else d["sets_quality"],
            "sets_resolution": parse_resolution(d["sets_resolution"])}


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise InputError(message)


def main(argv: list[str] | None = None) -> int:
    p = _Parser(prog="python -m blockmath.bench", description=__doc__.split("\n\n")[1].strip(),
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help=f"CI-sized run: {PREVIEW_SCENE} at -ql {QUICK_RESOLUTION}, no -qh, 2 and 16 tokens, d_model 8")
    p.add_argument("--json", default="bench.json", help="where to write the figures (default bench.json)")
    p.add_argument("--scenes", help=f"comma-separated scenes (default: all; --quick: {PREVIEW_SCENE})")
    p.add_argument("--qualities", help="comma-separated qualities, the first also used for the no-op "
                                       "(default l,h; --quick: l)")
    p.add_argument("--preview-runs", type=int, help="new-sentence previews to time; the median is the figure "
                                                    "(default 3; --quick: 1)")
    p.add_argument("--resolution", help=f"pixel size for the scene measurements, e.g. 320x180 "
                                        f"(default: the quality's own; --quick: {QUICK_RESOLUTION})")
    p.add_argument("--sets", dest="sets", action="store_true", default=None,
                   help="also time whole sets: --jobs 1 against 2, narrated against silent (default in full mode)")
    p.add_argument("--no-sets", dest="sets", action="store_false", help="skip the whole-set measurements")
    p.add_argument("--sets-quality", help="quality of the narrated/silent set comparison (default h; --quick: l)")
    try:
        args = p.parse_args(argv)
        plan = make_plan(args)
    except InputError as e:
        print(f"blockmath.bench: error: {e}", file=sys.stderr)
        return 2
    if shutil.which("ffprobe") is None:
        print("blockmath.bench: error: ffprobe (from ffmpeg) is needed to measure video durations", file=sys.stderr)
        return 2
    report = run_bench(plan)
    report["command"] = shlex.join(["python", "-m", "blockmath.bench", *(sys.argv[1:] if argv is None else argv)])
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(report))
    print(f"\nwrote {path}")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
