"""Finished files appear at once or not at all, in private work folders; stamps say what a file was made from.

A stamp (<clip>.json) records a digest of every input: the settings, the lesson, the quality, and the code the
render imported (recorded by blockmath.manim_run), so a clip is remade exactly when something it depends on changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import uuid
from importlib import metadata
from pathlib import Path
from typing import Callable

from .config import BlockConfig
from .lessons import Lesson
from .paths import manim_cfg, scenes_dir


class RenderError(RuntimeError):
    """Making a clip failed; the message says what and where to look."""


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that it appears complete or not at all."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def raise_interrupt(signum, frame):
    raise KeyboardInterrupt


class WorkFolder:
    """A private work folder under media/.work, removed afterwards; SIGTERM is turned into a clean interrupt."""

    def __init__(self, media: Path, name: str):
        self.path = (media / ".work" / f"{name}-{os.getpid()}-{uuid.uuid4().hex[:8]}").resolve()

    def __enter__(self) -> Path:
        self.old_term = signal.signal(signal.SIGTERM, raise_interrupt) if _main_thread() else None
        self.path.mkdir(parents=True)
        return self.path

    def __exit__(self, *exc) -> None:
        if self.old_term is not None:
            signal.signal(signal.SIGTERM, self.old_term)
        shutil.rmtree(self.path, ignore_errors=True)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


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


def replace_dir(built: Path, final: Path) -> None:
    """Put the finished folder `built` at `final` in one rename, replacing what was there."""
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
    if final.exists():
        os.replace(final, old)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(built, final)
    shutil.rmtree(old, ignore_errors=True)


def publish(out: Path, files: dict[str, Path], sections: Path | None, stamp: dict,
            stamp_path: Path | None = None) -> None:
    """Move finished files into place: the stamp goes last, so a clip counts as done only when all is there."""
    stamp_path = stamp_path or out.with_suffix(".json")
    stamp_path.unlink(missing_ok=True)  # a clip without its stamp is never taken as up to date
    if sections is not None:
        replace_dir(sections, out.parent / "sections" / out.stem)
    for suffix, path in files.items():
        os.replace(path, out.with_suffix(suffix))
    write_atomic(stamp_path, json.dumps(stamp, indent=2).encode())


def up_to_date(out: Path, digest: str, stamp: Path | None = None) -> bool:
    """True when out exists and its stamp (default <out>.json) records the same inputs."""
    stamp = stamp or out.with_suffix(".json")
    try:
        return out.is_file() and json.loads(stamp.read_text()).get("inputs") == digest
    except (ValueError, OSError):
        return False


def clip_up_to_date(out: Path, digest_for: Callable[[list[str]], str], stamp: Path | None = None) -> bool:
    """True when out exists and its stamp records the inputs digest_for(sources) gives for the sources it lists."""
    stamp = stamp or out.with_suffix(".json")
    try:
        sources = json.loads(stamp.read_text()).get("sources")
    except (ValueError, OSError):
        return False
    return isinstance(sources, list) and up_to_date(out, digest_for(sources), stamp)


def file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def source_roots() -> dict[str, Path]:
    """The folders whose files a render may import: the scenes (with their kit) and this package."""
    return {"scenes": scenes_dir().resolve(), "blockmath": Path(__file__).resolve().parent}


def sources_digest(files: list[str]) -> str:
    """Hash of the code a clip was made from: the files its render imported (as recorded by blockmath.manim_run,
    "root:relative/path"), the manim config and manim's version. No hand-kept list: a module a scene starts to
    import is recorded on the next render, and editing any recorded file makes the clip out of date."""
    roots = source_roots()
    h = hashlib.sha256()
    for name in sorted(set(files)):
        root, _, rel = name.partition(":")
        h.update(f"{name}\0{file_digest(roots[root] / rel) if root in roots else 'missing'}\0".encode())
    h.update(file_digest(manim_cfg()).encode())
    try:
        h.update(metadata.version("manim").encode())
    except metadata.PackageNotFoundError:
        pass
    return h.hexdigest()


def inputs_digest(cfg: BlockConfig, spec: Lesson, target_label: str, extra: str) -> str:
    """Everything a clip depends on: settings, lesson, quality/size/narration label, code and voice (extra)."""
    payload = json.dumps([cfg.as_dict(), spec.name, target_label, extra], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()
