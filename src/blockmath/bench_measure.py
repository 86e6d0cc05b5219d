"""Timing of one command for the benchmark: wall time, peak memory, the hypervisor's share, seconds of video."""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path


def log(msg: str) -> None:
    """Progress goes to stderr; stdout carries only the final table."""
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment without BLOCKMATH_* settings or an outer make's flags, so every run sees the same defaults."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BLOCKMATH_") and k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return {**env, **(extra or {})}


def cpu_ticks() -> tuple[int, int] | None:
    """(all, stolen) CPU ticks of the machine since boot (Linux); None where /proc/stat is not there."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(fields[:8]), (fields[7] if len(fields) > 7 else 0)


def steal_share(before, after) -> float | None:
    """Share of CPU time the hypervisor gave to other guests between two cpu_ticks() (a VM's hidden load)."""
    if before is None or after is None or after[0] <= before[0]:
        return None
    return round((after[1] - before[1]) / (after[0] - before[0]), 3)


def run_measured(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict:
    """Run cmd to completion: wall seconds, peak RSS (MiB) of the largest process in its tree, exit status, output,
    and the share of CPU time stolen by the hypervisor meanwhile (high values explain slow runs on a VM)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        ticks = cpu_ticks()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=cwd,
                                env=child_env() if env is None else env)
        try:
            _, status, usage = os.wait4(proc.pid, 0)  # this child's rusage, which folds in its reaped descendants
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    rss_bytes = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return {"command": shlex.join(cmd), "wall_s": round(wall, 3), "max_rss_mb": round(rss_bytes / 2**20, 1),
            "steal": steal_share(ticks, cpu_ticks()), "returncode": proc.returncode, "stdout": stdout, "stderr": stderr}


def video_seconds(path: Path) -> float:
    """Duration of a video file, from ffprobe."""
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
                       capture_output=True, text=True, check=True)
    return float(r.stdout.strip())


def failure(run: dict, what: str) -> str:
    tail = (run["stderr"].strip() or run["stdout"].strip()).splitlines()[-1:] or ["(no output)"]
    return f"{what} exited {run['returncode']}: {tail[0]}"


def rate_of(run: dict, video_s: float) -> dict:
    """The figures of one measured render (the subprocess's output is dropped)."""
    return {"command": run["command"], "wall_s": run["wall_s"], "video_s": round(video_s, 3),
            "s_per_video_s": round(run["wall_s"] / video_s, 4), "max_rss_mb": run["max_rss_mb"], "steal": run["steal"]}


def render_command(scene: str, quality: str, resolution: tuple[int, int] | None, media: Path, *extra: str) -> list[str]:
    cmd = [sys.executable, "-m", "blockmath", "render", scene, "-q", quality, "--media-dir", str(media), *extra]
    return cmd + (["--resolution", f"{resolution[0]}x{resolution[1]}"] if resolution else [])

def measure_render(scene: str, quality: str, resolution, media: Path, *extra: str) -> dict:
    """Render one clip with the CLI into media; its figures (raises RuntimeError if the render fails)."""
    run = run_measured(render_command(scene, quality, resolution, media, *extra), cwd=media.parent)
    if run["returncode"] != 0:
        raise RuntimeError(failure(run, f"render {scene}"))
    clip = Path(run["stdout"].strip().splitlines()[-1])
    return {**rate_of(run, video_seconds(clip)), "rendered": "rendering " in run["stdout"]}


def machine() -> dict:
    try:
        manim = metadata.version("manim")
    except metadata.PackageNotFoundError:
        manim = None
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpus": cpus, "platform": platform.platform(), "python": platform.python_version(), "manim": manim,
            "load_start": round(os.getloadavg()[0], 2)}
