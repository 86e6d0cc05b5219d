"""The gallery in real headless Chromium, opened from disk and from a local static server:
every video loads its metadata, every picture and captions track loads, and the console stays clean."""

import contextlib
import functools
import http.server
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--autoplay-policy=no-user-gesture-required", "--window-size=1280,2000"]

# What the page has loaded: finite numbers only (NaN does not survive the trip to Python).
STATE_JS = """
const num = x => Number.isFinite(x) ? x : -1;
return {
  videos: [...document.querySelectorAll('video')].map(v => ({src: v.currentSrc, ready: v.readyState,
           duration: num(v.duration), error: v.error && v.error.code})),
  posters: [...document.querySelectorAll('video')].map(v => {
           const i = window.__posters[v.poster]; return {src: v.poster, width: i ? i.naturalWidth : 0}; }),
  images: [...document.images].map(i => ({src: i.currentSrc, width: i.naturalWidth})),
  tracks: [...document.querySelectorAll('track')].map(t => ({src: t.src.slice(0, 80), ready: t.readyState,
           cues: t.track.cues ? t.track.cues.length : 0})),
};
"""
# Posters are not in the DOM as pictures: load each one as an Image to see that it exists.
LOAD_POSTERS_JS = """
window.__posters = {};
for (const v of document.querySelectorAll('video')) {
  const i = new Image(); i.src = v.poster; window.__posters[v.poster] = i;
}
"""


def _require_chromium():
    """Skip with a reason when Chromium or Selenium is missing, but fail in CI: there it must run."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if missing:
        reason = f"{', '.join(missing)} not installed (run `make test`, or `bash scripts/system-deps.sh test`)"
        (pytest.fail if os.environ.get("CI") else pytest.skip)(reason)


@contextlib.contextmanager
def chromium(flags=(), logs=("browser",)):
    """Headless Chromium (via chromedriver) with extra command-line flags, keeping the named logs; a profile of
    its own, removed afterwards."""
    _require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="blockmath-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in [*FLAGS, *flags, f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {log: "ALL" for log in logs})
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def gallery(full_set):
    return full_set("gallery")


def serve(folder: Path):
    """A static server for folder on 127.0.0.1 (a free port), as `python3 -m http.server` would be."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def loaded(s) -> bool:
    return bool(s["videos"]) and all(v["ready"] >= 1 and v["duration"] > 0 for v in s["videos"]) \
        and all(t["ready"] >= 2 for t in s["tracks"]) and all(p["width"] > 0 for p in s["posters"])


def page_state(driver, url, timeout=20):
    """Open url, wait until every video knows its duration, and return what loaded plus the console log."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # drop entries from an earlier page
    driver.get(url)
    driver.execute_script(LOAD_POSTERS_JS)
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.25).until(lambda d: loaded(d.execute_script(STATE_JS)))
    except TimeoutException:
        pass  # the assertions below say what did not load
    return driver.execute_script(STATE_JS), driver.get_log("browser")


@pytest.mark.render
@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
@pytest.mark.parametrize("mode", ["file", "http"])
def test_gallery_plays_in_chromium(browser, gallery, mode):
    folder = gallery.parent
    from blockmath.lessons import BY_NAME as SCENES

    # the scenes' clips in the manifest (the folder may also hold the movie and its title cards, not in the page)
    clips = [f for f in json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["files"]
             if f["path"].endswith(".mp4") and f["path"][:-4] in SCENES]
    if mode == "file":
        state, log = page_state(browser, gallery.as_uri())
    else:
        server = serve(folder)
        try:
            state, log = page_state(browser, f"http://127.0.0.1:{server.server_address[1]}/{gallery.name}")
        finally:
            server.shutdown()
            server.server_close()
    assert len(state["videos"]) == len(clips) > 0
    bad_videos = [v for v in state["videos"] if v["ready"] < 1 or not v["duration"] > 0]
    assert not bad_videos, bad_videos
    assert [p for p in state["posters"] if p["width"] == 0] == []
    assert [i for i in state["images"] if i["width"] == 0] == []
    assert len(state["tracks"]) == len(clips)
    assert [t for t in state["tracks"] if t["ready"] != 2 or t["cues"] == 0] == []  # 2: loaded, with its captions
    assert [e for e in log if e["level"] == "SEVERE"] == []
