"""Narration tracks for clips: lines placed at their cue times, loudness-normalised, muxed as AAC 48 kHz.

A track is a float32 mono NumPy array at RATE. Loudness (BS.1770) and the limiter are NumPy; PyAV (manim's
video library) resamples, reads durations and muxes in-process (video packets copied, AAC encoded); ffmpeg
finds speech (silencedetect) and, for checks, measures loudness its own way (ebur128).
"""

from __future__ import annotations

import math
import re
import subprocess
import wave
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

RATE = 48000  # Hz, mono
TARGET_LUFS = -16.0  # integrated loudness of every narration track (EBU R 128 / speech podcasts)
CEILING_DBTP = -1.5  # true-peak ceiling
AAC_BITRATE = 128_000  # every clip's audio is AAC-LC, 48 kHz mono, 128 kb/s: concat needs one layout
_SILENT = -70.0  # LUFS reported for a silent track


class AudioError(RuntimeError):
    """ffmpeg or PyAV failed, cues do not fit their clip, or loudness could not be reached."""


@dataclass(frozen=True)
class Loudness:
    integrated: float  # LUFS (-70 for silence)
    true_peak: float  # dBTP (-inf for silence)


def _ffmpeg(args: list[str], data: bytes | None = None) -> str:
    """Run ffmpeg (raw f32le audio on stdin when data is given); return its log, raise AudioError on failure."""
    proc = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-y", *(["-nostdin"] if data is None else []), *args],
                          input=data, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    log = proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        raise AudioError(f"ffmpeg failed: {log.strip().splitlines()[-1:]}")
    return log


def _raw_input(rate: int) -> list[str]:
    """ffmpeg arguments that read raw float mono samples from stdin."""
    return ["-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0"]


def resample(samples: np.ndarray, rate: int, to: int = RATE) -> np.ndarray:
    """Mono samples (int16 or float) at `rate` as float32 at `to`, with libswresample (aligned, exact length)."""
    import av

    x = np.asarray(samples)
    x = (x / 32768.0 if x.dtype == np.int16 else x).astype(np.float32)
    if rate == to or x.size == 0:
        return x
    frame = av.AudioFrame.from_ndarray(x.reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="flt", layout="mono", rate=to)
    frames = resampler.resample(frame) + resampler.resample(None)
    return np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype(np.float32)


def read_wav(path: Path, to: int = RATE) -> np.ndarray:
    """A 16-bit mono WAV (a narrated line) as float32 samples at `to`."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise AudioError(f"{path.name}: expected 16-bit mono WAV")
        data, rate = np.frombuffer(w.readframes(w.getnframes()), "<i2"), w.getframerate()
    return resample(data, rate, to)


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> None:
    """Float samples as a 16-bit mono WAV (for listening and debugging)."""
    pcm = np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def build_track(cues: list[tuple[float, Path]], duration: float, rate: int = RATE, slack: float = 0.05) -> np.ndarray:
    """Silence of `duration` seconds with each line's WAV placed at its start time; refuses overlaps and overruns."""
    track = np.zeros(round(duration * rate), np.float32)
    end_prev = 0.0
    for start, wav in sorted(cues, key=lambda c: c[0]):
        line = read_wav(wav, rate)
        end = start + line.size / rate
        if start < 0 or start < end_prev - slack:
            raise AudioError(f"line at {start:.2f} s starts before the previous one ends ({end_prev:.2f} s)")
        if end > duration + slack:
            raise AudioError(f"line at {start:.2f} s ends at {end:.2f} s, after the clip ({duration:.2f} s)")
        i = round(start * rate)
        line = line[:max(track.size - i, 0)]
        track[i:i + line.size] += line
        end_prev = end
    return track


def measure_loudness(samples: np.ndarray, rate: int = RATE) -> Loudness:
    """Integrated loudness (LUFS) and true peak (dBTP) as ffmpeg's ebur128 filter measures them."""
    if samples.size == 0:
        return Loudness(_SILENT, -math.inf)
    log = _ffmpeg([*_raw_input(rate), "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
                  np.asarray(samples, "<f4").tobytes())
    summary = log[log.rfind("Summary:"):]
    i = re.search(r"I:\s+(-?[\d.]+|-inf|nan) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf|nan) dBFS", summary)
    if not (i and peak):
        raise AudioError("could not read ebur128's summary")
    return Loudness(float(i[1]), float(peak[1]))


_K_SHELF = ([1.53512485958697, -2.69169618940638, 1.19839281085285], [1.0, -1.69065929318241, 0.73248077421585])
_K_HIGHPASS = ([1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621])  # BS.1770 K-weighting at 48 kHz


def loudness(samples: np.ndarray, rate: int = RATE) -> Loudness:
    """Integrated loudness and true peak per ITU-R BS.1770 (K-weighting, 400 ms blocks, gates), in-process."""
    if rate != 48000:
        raise ValueError("the K-weighting coefficients here are for 48 kHz")
    x = np.asarray(samples, np.float64)
    if x.size == 0:
        return Loudness(_SILENT, -math.inf)
    peak = float(_peak_envelope(x).max(initial=0.0))
    top = 20 * math.log10(peak) if peak > 0 else -math.inf
    hop = rate // 10  # 400 ms blocks that overlap by 75 %: four 100 ms steps each
    energy = np.square(_k_weighted(x)[:x.size // hop * hop]).reshape(-1, hop).mean(axis=1)
    if energy.size < 4:  # shorter than one block: nothing to gate
        return Loudness(_SILENT, round(top, 2))
    blocks = np.convolve(energy, np.ones(4), "valid") / 4
    lufs = -0.691 + 10 * np.log10(np.maximum(blocks, 1e-20))
    gated = blocks[lufs > _SILENT]  # the absolute gate
    if gated.size == 0:
        return Loudness(_SILENT, round(top, 2))
    gated = blocks[(lufs > _SILENT) & (lufs > -0.691 + 10 * math.log10(gated.mean()) - 10)]  # the relative gate
    return Loudness(round(-0.691 + 10 * math.log10(gated.mean()), 2), round(top, 2))


def _k_weighted(x: np.ndarray) -> np.ndarray:
    """x through the two K-weighting biquads (as a recursive filter with scipy, which the voice extra installs;
    else as their frequency response, a zero-padded FFT: the same numbers, about 50 times slower)."""
    try:
        from scipy.signal import lfilter
    except ImportError:
        return _k_weighted_fft(x)
    for b, a in (_K_SHELF, _K_HIGHPASS):
        x = lfilter(b, a, x)
    return x


def _k_weighted_fft(x: np.ndarray) -> np.ndarray:
    """x through the two K-weighting biquads, applied as their frequency response (zero-padded FFT: no wrap)."""
    n = 1 << int(x.size + RATE).bit_length()  # a second of padding: the filters' memory has long died out
    z = np.exp(-1j * np.pi * np.arange(n // 2 + 1) / (n // 2))  # z^-1 on the unit circle
    response = np.ones_like(z)
    for b, a in (_K_SHELF, _K_HIGHPASS):
        response *= np.polyval(b[::-1], z) / np.polyval(a[::-1], z)
    return np.fft.irfft(np.fft.rfft(x, n) * response, n)[:x.size]


def _peak_envelope(x: np.ndarray) -> np.ndarray:
    """Per sample, the largest magnitude there and at the 3 points between it and the next sample
    (4x oversampling with 12-tap windowed-sinc phases, as BS.1770 measures true peak)."""
    env = np.abs(x)
    for phase in (0.25, 0.5, 0.75):
        t = np.arange(-6, 6) + phase  # distances from the point between samples to the 12 samples around it
        taps = np.sinc(t) * 0.5 * (1 + np.cos(np.pi * t / 6.5))
        between = np.convolve(x, taps[::-1])[6:6 + x.size]  # the value at n + phase
        env = np.maximum(env, np.abs(between))
    return env


def limit(x: np.ndarray, ceiling_db: float, rate: int = RATE, block: float = 0.005, release_db_s: float = 60.0) -> np.ndarray:
    """A look-ahead peak limiter: the gain dips smoothly (per 5 ms block, linear in between) so no true peak passes."""
    if x.size == 0:
        return x
    n = max(int(block * rate), 1)
    need = np.minimum(1.0, 10 ** (ceiling_db / 20) / np.maximum(_peak_envelope(x), 1e-9))
    blocks = np.pad(need, (0, -need.size % n), constant_values=1.0).reshape(-1, n).min(axis=1)
    gain_db = 20 * np.log10(np.minimum.reduce([blocks, np.r_[1.0, blocks[:-1]], np.r_[blocks[1:], 1.0]]))
    step = release_db_s * block
    for k in range(1, gain_db.size):  # recover slowly after a dip ...
        gain_db[k] = min(gain_db[k], gain_db[k - 1] + step)
    for k in range(gain_db.size - 2, -1, -1):  # ... and go down into it as slowly
        gain_db[k] = min(gain_db[k], gain_db[k + 1] + step)
    centres = (np.arange(gain_db.size) + 0.5) * n
    gain = np.interp(np.arange(x.size), centres, 10 ** (gain_db / 20))
    return (x * gain).astype(np.float32)


def normalize(samples: np.ndarray, rate: int = RATE, target: float = TARGET_LUFS, ceiling: float = CEILING_DBTP,
              margin: float = 0.5) -> tuple[np.ndarray, Loudness]:
    """Gain to `target` LUFS with true peaks limited below `ceiling` dBTP; returns the track and its BS.1770 level."""
    y = np.asarray(samples, np.float32)
    level = loudness(y, rate)
    for _ in range(4):
        if level.integrated <= _SILENT or not math.isfinite(level.integrated):
            return y, level  # silence stays silence
        if abs(level.integrated - target) <= 0.4 and level.true_peak <= ceiling:
            break
        gain = target - level.integrated
        y = y * np.float32(10 ** (gain / 20))
        if level.true_peak + gain <= ceiling - margin:  # a plain gain: loudness and peak move with it exactly
            level = Loudness(level.integrated + gain, level.true_peak + gain)
            break
        y = limit(y, ceiling - margin, rate)
        level = loudness(y, rate)
    if abs(level.integrated - target) > 1.0 or level.true_peak > ceiling:
        raise AudioError(f"normalised to {level.integrated:.1f} LUFS, {level.true_peak:.1f} dBTP "
                         f"(wanted {target} LUFS, at most {ceiling} dBTP)")
    return y, level


def narration_track(cues: list[tuple[float, Path]], duration: float) -> np.ndarray:
    """The normalised narration of a clip: lines at their cue times, -16 LUFS, true peak at most -1.5 dBTP."""
    return normalize(build_track(cues, duration))[0]


def video_duration(path: Path) -> float:
    """Seconds of video in a media file (its first video stream)."""
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        if s.duration is not None:
            return float(s.duration * s.time_base)
        return c.duration / av.time_base


def fit(samples: np.ndarray, duration: float, rate: int = RATE) -> np.ndarray:
    """The samples cut or padded with silence to exactly `duration` seconds."""
    n = round(duration * rate)
    return np.pad(samples[:n], (0, max(n - samples.size, 0))).astype(np.float32)


def mux(video: Path, samples: np.ndarray, out: Path, rate: int = RATE) -> Path:
    """The video stream copied, with `samples` (fitted to its length) as AAC 48 kHz mono, moov first (PyAV)."""
    import av

    track = fit(samples, video_duration(video), rate)
    try:
        with av.open(str(video)) as inp, av.open(str(out), "w", format="mp4", options={"movflags": "+faststart"}) as oc:
            v_in = inp.streams.video[0]
            v_out = oc.add_stream_from_template(v_in)
            a_out = oc.add_stream("aac", rate=rate, layout="mono")
            a_out.bit_rate = AAC_BITRATE
            frame = av.AudioFrame.from_ndarray(track.reshape(1, -1), format="fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
            for packet in inp.demux(v_in):
                if packet.dts is not None:  # skip the empty packet that ends the demux
                    packet.stream = v_out
                    oc.mux(packet)
            for packet in [*a_out.encode(frame), *a_out.encode(None)]:  # the encoder cuts frames of 1024
                oc.mux(packet)
    except (av.FFmpegError, OSError, ValueError) as e:
        raise AudioError(f"muxing audio into {video.name} failed: {e}") from e
    return out


def with_silence(video: Path, out: Path) -> Path:
    """The video with a silent AAC track of its length (title cards: every part of a movie needs audio)."""
    return mux(video, np.zeros(0, np.float32), out)


def mux_sections(sections: list[Path], samples: np.ndarray, outs: list[Path], rate: int = RATE) -> list[Path]:
    """Each section (consecutive slices of the clip) muxed with its own slice of the clip's track."""
    start = 0.0
    for section, out in zip(sections, outs, strict=True):
        length = video_duration(section)
        mux(section, samples[round(start * rate):round((start + length) * rate)], out, rate)
        start += length
    return outs


def audio_layout(path: Path) -> tuple[str, int, int] | None:
    """(codec, sample rate, channels) of a file's audio stream, or None when it has none."""
    import av

    with av.open(str(path)) as c:
        if not c.streams.audio:
            return None
        a = c.streams.audio[0]
        return a.codec_context.name, a.codec_context.sample_rate, a.codec_context.channels


def check_concat(parts: list[Path]) -> None:
    """Refuse to join parts whose audio differs (some silent-less, other codecs or rates): sound would drift."""
    layouts = {p: audio_layout(p) for p in parts}
    if len(set(layouts.values())) > 1:
        lines = ", ".join(f"{p.name}: {layouts[p] or 'no audio'}" for p in parts)
        raise AudioError(f"parts have different audio ({lines}); give title cards a silent track (with_silence)")


def audio_duration(path: Path) -> float:
    """Seconds of audio in a media file (its first audio stream)."""
    import av

    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        return float(s.duration * s.time_base) if s.duration is not None else c.duration / av.time_base


def speech_onsets(path: Path, noise_db: float = -40.0, min_silence: float = 0.2) -> list[float]:
    """Times (s) where sound starts after at least `min_silence` s of quiet (ffmpeg silencedetect)."""
    log = _ffmpeg(["-i", str(path), "-map", "0:a:0", "-af", f"silencedetect=noise={noise_db}dB:d={min_silence}",
                   "-f", "null", "-"])
    starts = [float(t) for t in re.findall(r"silence_start: (-?[\d.]+)", log)]
    ends = [float(t) for t in re.findall(r"silence_end: (-?[\d.]+)", log)]
    total = audio_duration(path)
    first = [] if starts and starts[0] <= 0.01 else [0.0]  # sound from the very start
    return first + [t for t in ends if t < total - 0.05]  # a silence that lasts to the end starts nothing
