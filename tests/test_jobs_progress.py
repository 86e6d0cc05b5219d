"""--jobs renders lessons side by side (and an interrupt stops them all); progress shows on a terminal only."""

import errno
import os
import pty
import signal
import subprocess
import sys
import time

import pytest

import manim_pause  # tests/manim_pause.py

pytestmark = pytest.mark.render

def clean_env(**extra):
    return {**{k: v for k, v in os.environ.items() if not k.startswith("BLOCKMATH_")}, **extra}


def test_two_jobs_render_two_lessons_at_once_and_an_interrupt_stops_both(tmp_path):
    hook, media = tmp_path / "hook", tmp_path / "media"
    pause_env = manim_pause.install(hook)
    cmd = [sys.executable, "-m", "blockmath", "render", "residual", "layernorm", "--jobs", "2", "-q", "l",
           "--resolution", "128x72", "--media-dir", str(media), "--sentence", "Two at once."]
    proc = subprocess.Popen(cmd, env=clean_env(**pause_env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        while len(manim_pause.paused_pids(hook)) < 2:  # with one job the second lesson would never start
            if proc.poll() is not None:
                pytest.fail(f"the render ended before both lessons paused: {proc.communicate()[1].decode()[-2000:]}")
            time.sleep(0.05)
        manims = manim_pause.paused_pids(hook)
        assert all(manim_pause.alive(pid) for pid in manims)
        os.kill(proc.pid, signal.SIGTERM)  # blockmath alone: it must stop both manims itself
        _, err = proc.communicate(timeout=60)
        for _ in range(100):
            if not any(manim_pause.alive(pid) for pid in manims):
                break
            time.sleep(0.1)
        assert not any(manim_pause.alive(pid) for pid in manims), "an interrupted parallel render left manim running"
    finally:
        for pid in manim_pause.paused_pids(hook):
            if manim_pause.alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert proc.returncode != 0 and b"Traceback" not in err
    assert not list(media.glob("clips/*/*/*.mp4"))  # no clip, finished or not
    assert list((media / ".work").iterdir()) == []  # each job cleaned its work folder


def _in_terminal(cmd, env) -> str:
    """Run cmd with a pseudo-terminal as its stdout and stderr; everything it printed."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(cmd[0], cmd, env)
    chunks = []
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError as e:  # the child closed the terminal
            if e.errno != errno.EIO:
                raise
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, b"".join(chunks).decode(errors="replace")[-2000:]
    return b"".join(chunks).decode(errors="replace")


def test_progress_shows_on_a_terminal_with_an_estimate_and_stays_quiet_in_a_pipe(tmp_path):
    media = tmp_path / "media"
    cmd = [sys.executable, "-m", "blockmath", "render", "residual", "-q", "l", "--resolution", "128x72",
           "--media-dir", str(media), "--sentence", "Show me progress.", "--force"]
    piped = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, timeout=600)
    assert piped.returncode == 0 and "\x1b[" not in piped.stdout + piped.stderr and "elapsed" not in piped.stderr
    shown = _in_terminal(cmd, clean_env(TERM="xterm"))  # the second render knows the first one's length and speed
    assert "residual" in shown and "s of video" in shown and "elapsed" in shown
    assert "left" in shown  # an estimate of the time left
    assert "all" in shown and "1 of 1 done" in shown
