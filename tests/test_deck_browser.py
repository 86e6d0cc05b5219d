"""The slide deck in real headless Chromium with no network at all: reveal.js comes from the deck's own folder."""

import json
import re
import shutil
from html.parser import HTMLParser

import pytest
from test_gallery_browser import chromium

# Every host name resolves to nothing and every request would go through a proxy on the discard port: no request
# can leave the machine. Files opened from disk still load.
OFFLINE = ["--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9"]
REMOTE = re.compile(r"^\s*(https?:)?//", re.I)  # an address that would need the network

DECK_JS = """
const num = x => Number.isFinite(x) ? x : -1;
const ready = typeof Reveal !== 'undefined' && Reveal.isReady();
const bg = ready ? Reveal.getCurrentSlide().slideBackgroundContentElement : null;
const video = bg ? bg.querySelector('video') : null;
const notes = document.querySelector('aside.notes');
return {
  ready: ready,
  total: ready ? Reveal.getTotalSlides() : -1,
  index: ready ? Reveal.getIndices().h : -1,
  video: video && {src: video.currentSrc, ready: video.readyState, duration: num(video.duration),
                   error: video.error && video.error.code},
  notes_shown: !!notes && getComputedStyle(notes).display !== 'none',
};
"""


class Refs(HTMLParser):
    """Every address the page would load: src/href and reveal.js's data-background-* attributes."""

    def __init__(self):
        super().__init__()
        self.refs = []

    def handle_starttag(self, tag, attrs):
        self.refs += [v for k, v in attrs if v and k in ("src", "href", "data-background-video",
                                                           "data-background-image", "data-src")]


@pytest.fixture(scope="module")
def offline_browser():
    with chromium(OFFLINE, logs=("browser", "performance")) as driver:
        yield driver


def _requested(driver) -> list[str]:
    """The address of every request the page has made since the last call (from Chromium's network log)."""
    events = (json.loads(e["message"])["message"] for e in driver.get_log("performance"))
    return [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]


def _deck_state(driver, url, timeout=20):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(d):
        s = d.execute_script(DECK_JS)
        return s["ready"] and s["video"] and s["video"]["ready"] >= 1 and s["video"]["duration"] > 0

    driver.get_log("browser"), _requested(driver)
    driver.get(url)
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.25).until(shown)
    except TimeoutException:
        pass  # the assertions below say what did not happen
    return driver.execute_script(DECK_JS), driver.get_log("browser"), _requested(driver)


@pytest.mark.render
@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
def test_deck_shows_its_first_video_with_no_network(offline_browser, full_set):
    from blockmath.lessons import LESSONS

    MOVIE_ORDER = [lesson.name for lesson in LESSONS]

    deck = full_set("slides")
    folder, quality_dir = deck.parent, deck.parent.parent
    beats = [s for name in MOVIE_ORDER for s in json.loads((quality_dir / f"{name}.json").read_text())["sections"]]

    # nothing in the page or its style sheets names a remote address
    refs = Refs()
    refs.feed(deck.read_text(encoding="utf-8"))
    assert refs.refs and not [r for r in refs.refs if REMOTE.match(r)]
    local = [r for r in refs.refs if not r.startswith("data:")]
    assert [r for r in local if not (folder / r).is_file()] == []  # and every file it names is there
    for css in folder.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", text) + re.findall(r"@import\s+['\"]([^'\"]+)", text)
        assert not [u for u in urls if REMOTE.match(u)], css

    state, log, requested = _deck_state(offline_browser, deck.as_uri())
    assert state["ready"], f"reveal.js did not start: {log}"
    assert state["total"] == len(beats) + len(MOVIE_ORDER)  # each scene's title card, then one slide per beat
    assert state["index"] == 0 and not state["notes_shown"]  # the notes stay in the speaker view
    video = state["video"]
    assert video and video["error"] is None and video["ready"] >= 1 and video["duration"] > 0, video
    assert video["src"].startswith("file:")
    assert any(u.endswith("/reveal.js/dist/reveal.js") for u in requested)  # the network log does see files
    # chrome://resources/…: Chromium's own start page finishing its load in the background (seen once in 3 runs)
    assert [u for u in requested if not u.startswith(("file:", "data:", "blob:", "chrome:"))] == []
    assert [e for e in log if e["level"] == "SEVERE"] == []
