"""Progress of long renders on a terminal: each lesson's share of its video done, and the whole set's, with the
time elapsed and an estimate of the time left. Silent when the output is not a terminal (CI, pipes, logs).

Each manim process writes how many seconds of video it has made so far to a small file after every animation
(scenes/kit/base.py); the expected length and speed come from earlier renders (media/.cache/timings.json).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .publish import write_atomic


def _clock(seconds: float) -> str:
    seconds = max(int(round(seconds)), 0)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"


@dataclass
class _Task:
    expected: float | None  # seconds of video this lesson made last time (None: never rendered here)
    started: float | None = None
    file: Path | None = None
    done_video: float = 0.0
    finished: float | None = None


class Progress:
    """A live status block on stderr while lessons render (several at once with jobs > 1)."""

    def __init__(self, names: list[str], media: Path, label: str, stream=None, enabled: bool | None = None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.history_path = media / ".cache" / "timings.json"
        self.label = label
        try:
            self.history = json.loads(self.history_path.read_text())
        except (OSError, ValueError):
            self.history = {}
        known = [v["video"] for k, v in self.history.items() if "/" not in k and isinstance(v, dict)]
        typical = sum(known) / len(known) if known else None  # a lesson never rendered here: like the others
        self.tasks = {n: _Task(self.history.get(f"{n}/{label}", self.history.get(n, {})).get("video", typical))
                      for n in names}
        self.rate = self.history.get(f"rate/{label}")  # wall seconds per video second at this quality, last time
        self.start = time.monotonic()
        self.lines = 0
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Progress:
        if self.enabled:
            self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop_event.set()
        if self.enabled:
            self.thread.join()
            self._draw(final=True)
        self._save()

    def log(self, line: str) -> None:
        """Print a line above the status block."""
        with self.lock:
            self._clear()
            print(line, file=self.stream if self.enabled else sys.stdout, flush=True)
            if self.enabled:
                self._draw_locked()

    def watch(self, name: str, proc, file: Path) -> None:
        """A lesson's manim process started; it reports its progress in `file`."""
        task = self.tasks.setdefault(name, _Task(None))
        task.started, task.file = time.monotonic(), file

    def finished(self, name: str) -> None:
        """A lesson is done (rendered, or found up to date: then it never started)."""
        task = self.tasks.get(name)
        if task is not None:
            self._read(task)
            task.finished = time.monotonic()
            task.started = task.started or task.finished

    # ---------------------------------------------------------------- internals

    def _read(self, task: _Task) -> None:
        try:
            task.done_video = float(task.file.read_text() or 0) if task.file else task.done_video
        except (OSError, ValueError):
            pass

    def _estimate_left(self, task: _Task, now: float) -> float | None:
        """Wall seconds left for one lesson: its video still to make, at the speed seen so far (or last time)."""
        if task.finished:
            return 0.0
        rate = self.rate
        if task.started and task.done_video > 1.0:
            rate = (now - task.started) / task.done_video
        if task.expected is None or rate is None:
            return None
        return max(task.expected - task.done_video, 0.0) * rate

    def _row(self, name: str, task: _Task, now: float) -> str:
        if task.finished:
            return f"{name:15s} done     {_clock(task.finished - (task.started or task.finished))}"
        if not task.started:
            return f"{name:15s} waiting"
        share = min(task.done_video / task.expected, 1.0) if task.expected else None
        bar = "#" * int(20 * share) + "." * (20 - int(20 * share)) if share is not None else "?" * 20
        left = self._estimate_left(task, now)
        return (f"{name:15s} [{bar}] {task.done_video:5.1f} s of video  {_clock(now - task.started)} elapsed"
                + (f"  ~{_clock(left)} left" if left is not None else ""))

    def _draw_locked(self, final: bool = False) -> None:
        now = time.monotonic()
        for task in self.tasks.values():
            if task.started and not task.finished:
                self._read(task)
        rows = [self._row(n, t, now) for n, t in self.tasks.items()]
        done = sum(1 for t in self.tasks.values() if t.finished)
        lefts = [self._estimate_left(t, now) for t in self.tasks.values()]
        busy = max(sum(1 for t in self.tasks.values() if t.started and not t.finished), 1)
        total = None if any(x is None for x in lefts) else sum(lefts) / busy
        rows.append(f"{'all':15s} {done} of {len(self.tasks)} done  {_clock(now - self.start)} elapsed"
                    + (f"  ~{_clock(total)} left" if total is not None and not final else ""))
        self.stream.write("".join(f"\x1b[2K{r}\n" for r in rows))
        self.stream.flush()
        self.lines = len(rows)

    def _clear(self) -> None:
        if self.enabled and self.lines:
            self.stream.write(f"\x1b[{self.lines}F\x1b[J")
            self.lines = 0

    def _draw(self, final: bool = False) -> None:
        with self.lock:
            self._clear()
            self._draw_locked(final)

    def _loop(self) -> None:
        while not self.stop_event.wait(0.5):
            self._draw()

    def _save(self) -> None:
        """Remember each finished lesson's video length and the speed, for the next estimate."""
        changed = False
        for name, task in self.tasks.items():
            if task.finished and task.started and task.done_video > 0:
                self.history[f"{name}/{self.label}"] = self.history[name] = {"video": task.done_video}
                self.history[f"rate/{self.label}"] = (task.finished - task.started) / task.done_video
                changed = True
        if changed:
            try:
                self.history_path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(self.history_path, json.dumps(self.history, indent=1).encode())
            except OSError:
                pass
