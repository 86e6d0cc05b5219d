"""Narration: offline deterministic voices with a cache, and the audio plumbing (tracks, loudness, mux, sections)."""

import hashlib
import re
import subprocess
import sys
import threading
import wave
from pathlib import Path

import numpy as np
import onnxruntime
import pytest

from blockmath import audio, narration, voice
from blockmath.audio import RATE, AudioError

VOICES = ["hibari-heart", "piper-joe"]
slow = pytest.mark.voice


def make_video(path: Path, seconds: float, fps: int = 30) -> Path:
    """A tiny H.264 test clip without audio."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size=64x36:rate={fps}:duration={seconds}",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)], check=True)
    return path


def tone_wav(path: Path, bursts: list[tuple[float, float]], seconds: float, rate: int = 24000, amp: float = 0.3) -> Path:
    """A 16-bit WAV of a voiced-like tone (a 180 Hz buzz with harmonics) during each (start, length) burst."""
    t = np.arange(round(seconds * rate)) / rate
    x = np.zeros_like(t)
    for start, length in bursts:
        on = (t >= start) & (t < start + length)
        x[on] = amp * sum(np.sin(2 * np.pi * 180 * h * t[on]) / h for h in range(1, 6)) / 1.6
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes((x * 32767).astype("<i2").tobytes())
    return path


def ffprobe(path: Path) -> dict[str, dict[str, str]]:
    """codec_type -> that stream's fields."""
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name,sample_rate,channels,duration",
                          "-of", "default=nw=0", str(path)], capture_output=True, text=True, check=True).stdout
    streams = [dict(line.split("=", 1) for line in block.strip().splitlines() if "=" in line)
               for block in out.split("[/STREAM]") if "codec_type" in block]
    return {s["codec_type"]: s for s in streams}


def loudnorm_measure(path: Path) -> tuple[float, float]:
    """Integrated loudness and true peak as ffmpeg's loudnorm filter measures them (independent of ebur128)."""
    log = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-i", str(path), "-af", "loudnorm=print_format=json",
                          "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    return float(re.search(r'"input_i" : "(-?[\d.]+)"', log)[1]), float(re.search(r'"input_tp" : "(-?[\d.]+)"', log)[1])


# --- the voices ---------------------------------------------------------------------------------------------

@slow
@pytest.mark.parametrize("name", VOICES)
@pytest.mark.parametrize("caption, described", [("שלום עולם means hello world", "two Hebrew words"),
                                                 ("我爱你 is Chinese", "a Chinese phrase"),
                                                 ("🍕🍕 and 🐈 walk into a block", "slice of pizza"),
                                                 ("Ich habe keine Zeit, café", "Ich habe keine Zeit")])
def test_any_sentence_is_narrated(tmp_path, name, caption, described):
    line = voice.narrate(caption, tmp_path, name)
    assert described in line.spoken
    samples = audio.read_wav(line.wav)
    assert line.duration > 1.0 and samples.size == pytest.approx(line.duration * RATE, abs=2)
    assert np.abs(samples).max() > 0.1  # speech, not silence


@slow
@pytest.mark.parametrize("name", VOICES)
def test_same_text_same_bytes(tmp_path, name):
    text = "h prime equals h plus lambda times delta."
    a, rate = voice.synthesize(text, name)
    onnxruntime.set_seed(12345)  # other code moving onnxruntime's process-wide seed changes nothing
    b, _ = voice.synthesize(text, name)
    assert rate in (22050, 24000) and a.size > rate and np.array_equal(a, b)  # the engine's raw output repeats
    first = voice.narrate("h′ = h + λ·Δ.", tmp_path / "one", name)
    again = voice.narrate("h′ = h + λ·Δ.", tmp_path / "two", name)  # a cold cache
    assert first.wav.read_bytes() == again.wav.read_bytes()


OFFLINE = """
import hashlib, socket, sys
def refuse(*args, **kwargs):
    raise OSError("narration tried to use the network")
class NoSocket(socket.socket):
    __init__ = refuse
socket.socket, socket.create_connection, socket.getaddrinfo = NoSocket, refuse, refuse
try:
    socket.create_connection(("127.0.0.1", 9))
    raise SystemExit("the network block does not work")
except OSError:
    pass
from pathlib import Path
from blockmath.voice import narrate
line = narrate(sys.argv[1], Path(sys.argv[2]), sys.argv[3])
print(hashlib.sha256(line.wav.read_bytes()).hexdigest())
"""


@slow
@pytest.mark.parametrize("name", VOICES)
def test_offline_and_identical_in_a_new_process(tmp_path, name):
    caption = "LN₁ normalises each row: x − μ, over σ ≈ 0.89."
    here = hashlib.sha256(voice.narrate(caption, tmp_path / "here", name).wav.read_bytes()).hexdigest()
    for run in ("a", "b"):  # two fresh processes, each with a cold cache and no network
        proc = subprocess.run([sys.executable, "-c", OFFLINE, caption, str(tmp_path / run), name],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == here


@slow
def test_cache_synthesises_only_new_lines(tmp_path, monkeypatch):
    calls = []
    real = voice.synthesize
    monkeypatch.setattr(voice, "synthesize", lambda spoken, *a: calls.append(spoken) or real(spoken, *a))
    first = [voice.narrate(c, tmp_path) for c in ("λ = 0 is the identity.", "λ = 2 doubles the update.")]
    again = [voice.narrate(c, tmp_path) for c in ("λ = 0 is the identity.", "λ = 2 doubles the update.", "New: σ.")]
    assert calls == ["lambda equals zero is the identity.", "lambda equals two doubles the update.", "New: sigma."]
    assert [l.wav for l in again[:2]] == [l.wav for l in first]
    assert not list(tmp_path.glob(".*tmp"))  # no temporary files left behind
    assert voice.cache_path("x", tmp_path) != voice.cache_path("x", tmp_path, "piper-joe")
    assert voice.cache_path("x", tmp_path) != voice.cache_path("x", tmp_path, speed=1.1)
    before = voice.cache_path("x", tmp_path)
    monkeypatch.setattr(voice, "REVISION", voice.REVISION + 1)
    assert voice.cache_path("x", tmp_path) != before  # a new revision of the engine code: a new key


@slow
def test_parallel_writers_share_the_cache(tmp_path):
    lines, errors = [], []

    def work():
        try:
            lines.append(voice.narrate("Parallel renders share one cache.", tmp_path))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors and len({l.wav for l in lines}) == 1
    assert [p.name for p in tmp_path.iterdir()] == [lines[0].wav.name]
    assert audio.read_wav(lines[0].wav).size > RATE


def test_unknown_voice_and_empty_line(tmp_path):
    with pytest.raises(ValueError, match="unknown voice"):
        voice.narrate("hello", tmp_path, "nobody")
    line = voice.narrate("  ", tmp_path)
    assert line.spoken == "" and line.duration == 0.0


def test_trim_silence():
    x = np.r_[np.zeros(1000), np.ones(10), np.zeros(500), np.ones(5), np.zeros(2000)].astype(np.float32)
    y = voice.trim_silence(x, 1000, pad=0.01)
    assert y.size == 10 + 10 + 500 + 5 + 10 and y[10] == 1 and y[-11] == 1
    assert voice.trim_silence(np.zeros(50), 1000).size == 0


# --- the audio plumbing -------------------------------------------------------------------------------------

def test_track_places_lines_at_their_cues(tmp_path):
    a = tone_wav(tmp_path / "a.wav", [(0.0, 1.0)], 1.0)
    b = tone_wav(tmp_path / "b.wav", [(0.0, 0.6), (0.9, 0.5)], 1.4)
    track = audio.build_track([(2.5, b), (0.4, a)], 5.0)
    assert track.size == 5 * RATE
    audio.write_wav(tmp_path / "t.wav", track)
    assert audio.speech_onsets(tmp_path / "t.wav") == pytest.approx([0.4, 2.5, 3.4], abs=0.02)
    with pytest.raises(AudioError, match="before the previous one ends"):
        audio.build_track([(0.4, a), (1.0, b)], 5.0)
    with pytest.raises(AudioError, match="after the clip"):
        audio.build_track([(4.0, b)], 5.0)


@pytest.mark.parametrize("amp", [0.01, 0.3, 0.95])
def test_loudness_is_normalised(tmp_path, amp):
    line = tone_wav(tmp_path / "l.wav", [(0.0, 0.8), (1.1, 1.5), (3.0, 0.4)], 3.5, amp=amp)
    track = audio.build_track([(0.5, line), (5.0, line)], 10.0)
    track[int(6.2 * RATE)] = 6 * track.max()  # a click 15.6 dB above the speech's peaks: the limiter must catch it
    assert audio.loudness(track).integrated == pytest.approx(audio.measure_loudness(track).integrated, abs=0.1)
    y, level = audio.normalize(track)
    assert level.integrated == pytest.approx(-16, abs=1.0) and level.true_peak <= -1.5
    ebur128 = audio.measure_loudness(y)  # ffmpeg's meter agrees with the in-process one
    assert ebur128.integrated == pytest.approx(level.integrated, abs=0.1) and ebur128.true_peak <= -1.5
    audio.write_wav(tmp_path / "n.wav", y)
    integrated, peak = loudnorm_measure(tmp_path / "n.wav")  # a second, independent meter
    assert integrated == pytest.approx(-16, abs=1.0) and peak <= -1.5


def test_true_peaks_between_samples_are_caught():
    n = np.arange(3 * RATE)
    y = (0.5 * np.sin(2 * np.pi * 12000 * n / RATE + np.pi / 4)).astype(np.float32)  # samples miss every crest
    assert 20 * np.log10(np.abs(y).max()) == pytest.approx(-9.03, abs=0.05)
    assert -6.1 <= audio.loudness(y).true_peak <= -5.8  # never under; a little over is safe
    assert -6.1 <= audio.measure_loudness(y).true_peak <= -5.0  # ffmpeg 5.1 sees it too (and reads high)
    assert audio.loudness(audio.limit(2 * y, -3.0)).true_peak <= -3.0 + 0.05


def test_silence_stays_silent():
    y, level = audio.normalize(np.zeros(RATE, np.float32))
    assert not y.any() and level.integrated <= -70
    for n in (0, 100, RATE // 4):  # shorter than one 400 ms block
        assert audio.loudness(np.full(n, 0.5, np.float32)).integrated <= -70


def test_mux_gives_aac_48k_as_long_as_the_video(tmp_path):
    video = make_video(tmp_path / "v.mp4", 3.2)
    tone = tone_wav(tmp_path / "a.wav", [(0.0, 1.0)], 1.0)
    out = audio.mux(video, audio.narration_track([(0.5, tone)], 3.0), tmp_path / "va.mp4")  # 0.2 s short: padded
    s = ffprobe(out)
    assert s["audio"]["codec_name"] == "aac" and s["audio"]["sample_rate"] == "48000"
    assert float(s["audio"]["duration"]) == pytest.approx(float(s["video"]["duration"]), abs=0.2)
    assert float(s["video"]["duration"]) == pytest.approx(3.2, abs=0.05)
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart
    md5 = [subprocess.run(["ffmpeg", "-v", "error", "-i", str(p), "-map", "0:v", "-c", "copy", "-f", "md5", "-"],
                          capture_output=True, text=True, check=True).stdout for p in (video, out)]
    assert md5[0] == md5[1]  # the video stream is copied, not re-encoded
    assert audio.speech_onsets(out) == pytest.approx([0.5], abs=0.05)
    again = audio.mux(video, audio.narration_track([(0.5, tone)], 3.0), tmp_path / "again.mp4")
    assert again.read_bytes() == data  # a re-render is byte-identical


def test_sections_get_their_own_slice(tmp_path):
    lengths = [1.0, 2.0, 1.5]
    sections = [make_video(tmp_path / f"s{i}.mp4", d) for i, d in enumerate(lengths)]
    tone = tone_wav(tmp_path / "a.wav", [(0.0, 0.5)], 0.5)
    track = audio.narration_track([(0.2, tone), (1.6, tone), (3.4, tone)], sum(lengths))
    outs = audio.mux_sections(sections, track, [tmp_path / f"o{i}.mp4" for i in range(3)])
    for out, length, onset in zip(outs, lengths, [0.2, 0.6, 0.4]):
        s = ffprobe(out)
        assert float(s["audio"]["duration"]) == pytest.approx(length, abs=0.2)
        assert audio.speech_onsets(out) == pytest.approx([onset], abs=0.05)


def test_movie_of_narrated_parts_stays_in_sync(tmp_path):
    parts, expected, t = [], [], 0.0
    tone = tone_wav(tmp_path / "a.wav", [(0.0, 0.4)], 0.4)
    for k in range(3):
        card = audio.with_silence(make_video(tmp_path / f"c{k}.mp4", 1.0), tmp_path / f"cs{k}.mp4")
        length = 2.0 + 0.37 * k
        clip = audio.mux(make_video(tmp_path / f"k{k}.mp4", length), audio.narration_track([(0.3, tone), (length - 0.7, tone)], length),
                         tmp_path / f"ka{k}.mp4")
        t += audio.video_duration(card)
        expected += [t + 0.3, t + length - 0.7]
        t += audio.video_duration(clip)
        parts += [card, clip]
    audio.check_concat(parts)
    listing = tmp_path / "parts.txt"
    listing.write_text("".join(f"file '{p}'\n" for p in parts))
    movie = tmp_path / "movie.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(movie)], check=True)
    assert audio.speech_onsets(movie) == pytest.approx(expected, abs=0.05)
    with pytest.raises(AudioError, match="no audio"):
        audio.check_concat([parts[1], tmp_path / "c0.mp4"])


def srt(cues: list[tuple[float, float, str]]) -> str:
    """SubRip text, as manim writes it."""
    def ts(t: float) -> str:
        ms = round(t * 1000)
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"
    return "\n".join(f"{i}\n{ts(a)} --> {ts(b)}\n{text}\n" for i, (a, b, text) in enumerate(cues, 1))


def test_read_srt():
    text = srt([(5.0, 6.5, "second"), (0.25, 4.0, "h′ = h + λ·Δ\non two lines")]).replace("\n", "\r\n")
    assert narration.read_srt(text) == [narration.Cue(0.25, 4.0, "h′ = h + λ·Δ\r\non two lines".replace("\r", "")),
                                        narration.Cue(5.0, 6.5, "second")]
    assert narration.read_srt("") == []


@slow
def test_narrated_clip_speaks_at_every_subtitle_cue(tmp_path):
    captions = ["h′ = h + λ·Δ", "λ = 0: the identity.", "Replacing h ← Δ loses h.", "‖h′‖ ≈ 2.31 🍕 שלום"]
    cues, t = [], 0.6
    for caption in captions:  # as a scene would: each caption held as long as it is read, plus a beat
        length = voice.narrate(caption, tmp_path / "cache").duration
        cues.append((round(t, 3), round(t + length + 0.5, 3), caption))
        t += length + 0.8
    lengths = [round(t / 2, 1), round(t / 2 + 0.4, 1)]
    sections = [make_video(tmp_path / f"s{i}.mp4", d) for i, d in enumerate(lengths)]
    clip = make_video(tmp_path / "v.mp4", sum(lengths))
    outs = [tmp_path / "o0.mp4", tmp_path / "o1.mp4"]
    result = narration.narrate_clip(clip, srt(cues), tmp_path / "n.mp4", tmp_path / "cache", sections=sections, section_outs=outs)
    assert [line.caption for line in result.lines] == captions
    onsets = audio.speech_onsets(tmp_path / "n.mp4")
    assert all(min(abs(o - start) for o in onsets) <= 0.3 for start, _, _ in cues), (onsets, cues)
    integrated, peak = loudnorm_measure(tmp_path / "n.mp4")
    assert integrated == pytest.approx(-16, abs=1.0) and peak <= -1.5
    for out, length in zip(outs, lengths):
        assert float(ffprobe(out)["audio"]["duration"]) == pytest.approx(length, abs=0.2)
    too_short = srt([(0.5, 1.0, captions[0]), (1.0, 2.0, captions[1])])
    with pytest.raises(AudioError, match="is read for"):
        narration.narrate_clip(clip, too_short, tmp_path / "x.mp4", tmp_path / "cache")


def test_voice_id_names_what_the_samples_depend_on(monkeypatch):
    real = voice.metadata.version

    def without(missing):
        def version(dist):
            if dist == missing:
                raise voice.metadata.PackageNotFoundError(dist)
            return real(dist)
        return version

    with_scipy = voice.voice_id("hibari-heart")
    assert "hibari-tts==" in with_scipy and "onnxruntime==" in with_scipy and "seed=" in with_scipy
    monkeypatch.setattr(voice.metadata, "version", without("scipy"))
    assert "scipy=none" in voice.voice_id("hibari-heart") and voice.voice_id("hibari-heart") != with_scipy
    monkeypatch.setattr(voice.metadata, "version", without("hibari-tts"))
    with pytest.raises(voice.VoiceUnavailable, match="voice"):
        voice.voice_id("hibari-heart")
    assert voice.available_voices() == ["piper-joe"]
