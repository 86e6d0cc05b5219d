"""A hook that stops a render's manim mid-way for good, so tests can interrupt it at a known point (no races).

`install(folder)` writes a sitecustomize.py there; put the folder on PYTHONPATH (with PAUSE_DIR=folder) and every
manim process of the render stops right after its second animation's movie file is finished (encoders joined),
leaving a marker `paused-<pid>` in the folder. The render is then certainly mid-way: partial movie files on disk,
no clip yet, manim still running. `paused_pids(folder)` lists the manim processes that stopped there.
"""

from pathlib import Path

HOOK = """
import os, signal
from pathlib import Path
if {b"manim", b"blockmath.manim_run"} & set(Path("/proc/self/cmdline").read_bytes().split(b"\\0")[1:3]):
    from manim.scene.scene_file_writer import SceneFileWriter
    close, calls = SceneFileWriter.close_partial_movie_stream, []

    def close_then_pause(self):
        close(self)
        calls.append(1)
        if len(calls) == 2:
            self.join_all_encode_jobs()
            marker = Path(os.environ["PAUSE_DIR"], f"paused-{os.getpid()}")
            marker.with_suffix(".tmp").write_text("")
            os.replace(marker.with_suffix(".tmp"), marker)  # appears whole
            while True:
                signal.pause()  # until a signal ends the process

    SceneFileWriter.close_partial_movie_stream = close_then_pause
"""


def install(folder: Path) -> dict[str, str]:
    """Write the hook into folder; the environment variables that turn it on."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(HOOK)
    return {"PYTHONPATH": str(folder), "PAUSE_DIR": str(folder)}


def paused_pids(folder: Path) -> list[int]:
    """The manim processes that have stopped at the hook."""
    return sorted(int(p.name.split("-")[1]) for p in folder.glob("paused-*") if p.suffix != ".tmp")


def alive(pid: int) -> bool:
    """True while pid is a live process (a zombie waiting to be reaped is dead)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False
