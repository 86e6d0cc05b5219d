"""Real renders: tiny, low-quality clips, sections, subtitles, formats, the movie, gallery and slides (ffprobe)."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
manim = pytest.importorskip("manim")
sys.path.insert(0, str(ROOT / "scenes"))

from blockmath.lessons import BY_NAME as SCENES  # noqa: E402


def ffprobe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_name,width,height,pix_fmt,nb_frames",
                          "-of", "json", str(path)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def moov_before_mdat(path):
    """True when the MP4's index (moov) precedes its data (mdat): +faststart, plays while loading."""
    data = Path(path).read_bytes()
    pos, order = 0, []
    while pos + 8 <= len(data):
        size, kind = int.from_bytes(data[pos:pos + 4], "big"), data[pos + 4:pos + 8]
        order.append(kind)
        if size == 1:
            size = int.from_bytes(data[pos + 8:pos + 16], "big")
        if size < 8:
            break
        pos += size
    return b"moov" in order and b"mdat" in order and order.index(b"moov") < order.index(b"mdat")


@pytest.mark.render
@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
@pytest.mark.parametrize("scene", ["residual", "layernorm", "ffn", "attention", "block", "norm-placement", "depth",
                                   "takeaways"])
def test_render_clip(tmp_path, scene):
    media = tmp_path / "media"
    cmd = [sys.executable, "-m", "blockmath", "render", scene, "-q", "l", "--resolution", "256x144",
           "--media-dir", str(media), "--sentence", "Short sentences render fast."]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr
    clip = Path(r.stdout.strip().splitlines()[-1])
    assert clip.is_file() and clip.name == f"{scene}.mp4" and clip.is_relative_to(media / "clips")
    info = ffprobe(clip)
    video = info["streams"][0]
    assert len(info["streams"]) == 1  # a clip is silent unless narration is asked for (it goes into slides)
    assert (video["width"], video["height"]) == (256, 144)
    assert video["codec_name"] == "h264" and video["pix_fmt"] == "yuv420p"
    assert 15.0 <= float(info["format"]["duration"]) <= 60.0
    # a constant 15 frames a second, every still one included (slide software expects it; narrated clips store
    # their holds sparsely instead, tests/test_narrated.py)
    assert int(video["nb_frames"]) == round(15 * float(info["format"]["duration"]))
    assert not list((media / ".work").iterdir())  # the work folder is cleaned up
    poster = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0",
                             str(clip.with_suffix(".png"))], capture_output=True, text=True, check=True).stdout
    assert poster.strip() == "256,144"  # the last frame, as a poster for slides and galleries
    stamp = json.loads(clip.with_suffix(".json").read_text())
    assert stamp["config"]["sentence"] == "Short sentences render fast."
    # the stamp lists the files the render imported: this scene, the kit, the core; no other scene
    assert f"scenes:{SCENES[scene].file}" in stamp["sources"] and "scenes:kit/base.py" in stamp["sources"]
    assert "blockmath:core.py" in stamp["sources"] and not any(
        f"scenes:{other.file}" in stamp["sources"] for other in SCENES.values() if other.name != scene)
    # every beat is also its own clip, for slides that play one step at a time
    sections = sorted((clip.parent / "sections" / scene).glob("*.mp4"))
    assert [p.stem for p in sections] == stamp["sections"] and len(sections) >= 3
    total = sum(float(ffprobe(p)["format"]["duration"]) for p in sections)
    assert abs(total - float(info["format"]["duration"])) < 0.5
    assert moov_before_mdat(clip)
    # the on-screen captions, as subtitles: SubRip and WebVTT, inside the clip's duration
    srt = clip.with_suffix(".srt").read_text(encoding="utf-8")
    vtt = clip.with_suffix(".vtt").read_text(encoding="utf-8")
    cues = re.findall(r"(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)", srt)
    assert len(cues) >= 3 and vtt.startswith("WEBVTT") and vtt.count(" --> ") == len(cues)
    ends = [int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000 for *_, h, m, s, ms in cues]
    assert max(ends) <= float(info["format"]["duration"]) + 0.1
    # nothing changed: the second run does not render again
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert again.returncode == 0 and "up to date" in again.stdout


@pytest.mark.render
@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
def test_movie_joins_every_scene_after_its_title_card(full_set):
    from blockmath.lessons import BY_NAME as SCENES

    movie = full_set("movie")
    clips = [movie.with_name(f"{name}.mp4") for name in SCENES]
    cards = sorted((movie.parent / "sections" / "cards").glob("*.mp4"))
    assert all(c.is_file() for c in clips) and len(cards) >= len(clips)
    expected = sum(float(ffprobe(c)["format"]["duration"]) for c in clips)
    expected += sum(float(ffprobe(c)["format"]["duration"]) for c in cards if c.stem.split("-", 1)[1] in SCENES)
    assert abs(float(ffprobe(movie)["format"]["duration"]) - expected) < 1.0
    assert moov_before_mdat(movie)
    # narrated by default: every part has sound (the title cards a silent track), and the movie's speech lasts
    # as long as its picture
    streams = {s["codec_type"]: s for s in json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name,duration", "-of", "json",
         str(movie)], capture_output=True, text=True, check=True).stdout)["streams"]}
    assert streams["audio"]["codec_name"] == "aac"
    assert abs(float(streams["audio"]["duration"]) - float(streams["video"]["duration"])) <= 0.2


@pytest.mark.render
@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
def test_gallery_and_manifest(full_set):
    import base64
    import hashlib
    from html.parser import HTMLParser

    from blockmath.lessons import BY_NAME as SCENES

    index = full_set("gallery")
    folder = index.parent
    page = index.read_text(encoding="utf-8")
    assert "Movies &amp; &lt;b&gt;galleries&lt;/b&gt;." in page and "<b>galleries" not in page  # shown literally

    class Refs(HTMLParser):
        def __init__(self):
            super().__init__()
            self.refs, self.tags, self.tracks = [], [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            refs = [v for k, v in attrs if k in ("src", "href", "poster")]
            (self.tracks if tag == "track" else self.refs).extend(refs)

    parser = Refs()
    parser.feed(page)
    assert parser.tags.count("video") == len(SCENES) and parser.tags.count("track") == len(SCENES)
    files = [ref for ref in parser.refs if ref != "data:,"]  # "data:," is the empty favicon (no request, no 404)
    assert files and all((folder / ref).is_file() for ref in files), parser.refs
    # captions are inline (Chromium refuses a .vtt beside a page opened from disk): each is its .vtt file, byte for byte
    prefix = "data:text/vtt;charset=utf-8;base64,"
    assert all(src.startswith(prefix) for src in parser.tracks), [src[:60] for src in parser.tracks]
    assert [base64.b64decode(src[len(prefix):]) for src in parser.tracks] == [
        (folder / f"{name}.vtt").read_bytes() for name in SCENES]
    assert all(f'href="{name}.vtt" download' in page for name in SCENES)  # and still a download
    for name in SCENES:
        gif = folder / f"{name}.preview.gif"
        assert ffprobe(gif)["streams"][0]["codec_name"] == "gif"
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert man["sentence"] == "Movies & <b>galleries</b>." and man["tokens"][:3] == ["Movies", "&", "<"]
    assert man["versions"]["manim"] and man["versions"]["numpy"] and man["config"]["seed"] == 0
    by_path = {f["path"]: f for f in man["files"]}
    for name in SCENES:
        entry = by_path[f"{name}.mp4"]
        assert (entry["width"], entry["height"]) == (128, 72) and entry["duration"] > 10
        assert entry["sha256"] == hashlib.sha256((folder / f"{name}.mp4").read_bytes()).hexdigest()
    assert any(p.startswith("sections/") for p in by_path)


@pytest.mark.render
@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
def test_formats_and_transparent_clips(tmp_path):
    media = tmp_path / "media"
    base = [sys.executable, "-m", "blockmath", "render", "block", "-q", "l", "--resolution", "192x108",
            "--media-dir", str(media), "--sentence", "Formats for slides."]

    def run(*extra):
        r = subprocess.run(base + list(extra), capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        return Path(r.stdout.strip().splitlines()[-1])

    mp4 = run()
    webm, gif, mov = run("--format", "webm"), run("--format", "gif"), run("--format", "mov")
    assert (webm.suffix, gif.suffix, mov.suffix) == (".webm", ".gif", ".mov") and webm.parent == mp4.parent
    codecs = {p.suffix: ffprobe(p)["streams"][0]["codec_name"] for p in (webm, gif, mov)}
    assert codecs == {".webm": "vp9", ".gif": "gif", ".mov": "h264"}
    duration = float(ffprobe(mp4)["format"]["duration"])
    for p in (webm, mov):
        assert abs(float(ffprobe(p)["format"]["duration"]) - duration) < 0.2
    # transparent: VP9 with an alpha channel, its background really see-through
    alpha = run("--transparent", "--format", "webm")
    assert alpha.name == "block-transparent.webm"
    tags = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream_tags=alpha_mode", "-of", "csv=p=0",
                           str(alpha)], capture_output=True, text=True).stdout
    assert tags.strip() == "1"
    raw = subprocess.run(["ffmpeg", "-v", "error", "-c:v", "libvpx-vp9", "-ss", "3", "-i", str(alpha), "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgba", "-"], capture_output=True, check=True).stdout
    a = np.frombuffer(raw, dtype=np.uint8).reshape(108, 192, 4)[..., 3]
    assert a[0, 0] == 0 and a.max() == 255  # corner transparent, drawings opaque
    # and ProRes 4444 in a .mov (Keynote, PowerPoint on a Mac), with its alpha plane
    prores = run("--transparent", "--format", "mov")
    assert prores.name == "block-transparent.mov"
    stream = ffprobe(prores)["streams"][0]
    assert stream["codec_name"] == "prores" and stream["pix_fmt"].startswith("yuva444")
    raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", "3", "-i", str(prores), "-frames:v", "1", "-f", "rawvideo",
                          "-pix_fmt", "rgba", "-"], capture_output=True, check=True).stdout
    a = np.frombuffer(raw, dtype=np.uint8).reshape(108, 192, 4)[..., 3]
    assert a[0, 0] == 0 and a.max() == 255
    bad = subprocess.run(base + ["--transparent"], capture_output=True, text=True)
    assert bad.returncode == 2 and "needs format webm" in bad.stderr


@pytest.mark.render
def test_slides_have_one_slide_per_beat_with_its_captions_as_notes(full_set):
    from html.parser import HTMLParser

    import pptx

    from blockmath.lessons import LESSONS

    SCENES = [lesson.name for lesson in LESSONS]

    deck = full_set("slides")
    folder = deck.parent
    quality_dir = folder.parent
    beats = [(name, sec) for name in SCENES
             for sec in json.loads((quality_dir / f"{name}.json").read_text())["sections"]]
    expected = len(beats) + len(SCENES)  # each scene's title card, then its beats

    class Deck(HTMLParser):
        def __init__(self):
            super().__init__()
            self.sections, self.videos, self.title, self._in_title = 0, [], "", False

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            self.sections += tag == "section" and "data-background-video" in a
            if "data-background-video" in a:
                self.videos.append(a["data-background-video"])
            self._in_title = tag == "title"

        def handle_data(self, data):
            if self._in_title:
                self.title += data

    page = deck.read_text(encoding="utf-8")
    parsed = Deck()
    parsed.feed(page)
    assert parsed.sections == expected and len(parsed.videos) == expected
    assert all((folder / v).is_file() and (folder / v).stat().st_size > 0 for v in parsed.videos)
    for v in parsed.videos:  # a narrated deck: each slide plays its beat's speech (a title card, silence)
        kinds = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0",
                                str(folder / v)], capture_output=True, text=True, check=True).stdout.split()
        assert kinds == ["video", "audio"], v
    assert parsed.title.strip() == "blockmath: Movies & <b>galleries</b>."  # escaped in the page, shown literally
    assert "<b>galleries" not in page

    show = pptx.Presentation(str(folder / "deck.pptx"))
    assert len(show.slides) == expected
    notes = [s.notes_slide.notes_text_frame.text if s.has_notes_slide else "" for s in show.slides]
    srt = (quality_dir / "residual.srt").read_text(encoding="utf-8")
    first_caption = srt.split("\n\n")[0].splitlines()[2]
    assert notes[1] == first_caption  # slide 0 is residual's title card, slide 1 its first beat
    assert sum(bool(n) for n in notes) >= len(SCENES)
