"""The video encoding half of kit.fast (its switch, BLOCKMATH_FAST=0, turns this off too): manim's segment encoder
and file writer, with cheaper frame conversion and, in a narrated render, held frames encoded once per half second."""

from __future__ import annotations

import dataclasses
import os
from contextlib import suppress
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from manim.scene.scene_file_writer import SceneFileWriter
from manim.scene.video_segment_encoder import VideoSegmentEncoder


class HeldFrameEncoder(VideoSegmentEncoder):
    """Manim's segment encoder with cheaper frame conversion; the encoded frames are the same.

    Manim wraps every RGBA frame in a newly allocated av.VideoFrame (the costliest step of encoding a 480p frame,
    more than converting it to YUV) and converts a held frame (a wait: one frame written `repeat` times) once per
    repeat. Here the RGBA pixels are copied into one reused frame, and each written frame is converted once.

    `still_step` > 1 (narrated renders, see STILL_SECONDS): a held frame is encoded once per `still_step` frames and
    shown for that span (variable frame rate), so a wait for speech costs a few encoded frames instead of 60 a second.
    """

    def __init__(self, *, target: Path, spec, still_step: int = 1):
        super().__init__(target=target, spec=spec)
        self.still_step = max(int(still_step), 1)
        self._spans: dict[int, int] = {}  # pts of a frame shown longer than one frame -> its span in frames

    def write_frame(self, pixels, *, repeat: int = 1) -> None:
        self._validate_frame(pixels, repeat)
        rate = self.spec.frame_rate
        time_base = Fraction(rate.denominator, rate.numerator)
        spans = _spans(repeat, self.still_step)
        try:
            if not hasattr(self, "_rgba"):
                self._rgba = av.VideoFrame(self.spec.width, self.spec.height, "rgba")
                plane = self._rgba.planes[0]  # rows may be padded: write through a strided view
                self._rgba_view = np.frombuffer(plane, np.uint8).reshape(self.spec.height, plane.line_size)[
                    :, :self.spec.width * 4].reshape(self.spec.height, self.spec.width, 4)
            self._rgba_view[...] = pixels
            frame = self._rgba.reformat(format=self.spec.pixel_format)  # a new frame: the encoder may keep it
            for span in spans:
                frame.pts, frame.time_base = self._next_pts, time_base
                if span > 1:
                    self._spans[self._next_pts] = span
                self._next_pts += span
                self._mux(self._stream.encode(frame))
        except BaseException as error:
            raise self._operation_error("encode", error) from error

    def _mux(self, packets) -> None:
        for packet in packets:
            span = self._spans.pop(packet.pts, None) if packet.pts is not None else None
            if span is not None:
                packet.duration = span  # in the stream's time base, one frame: the muxer reads the span from it
            self._container.mux(packet)

    def finish(self) -> None:
        """Flush the encoder (setting the spans of the last frames) and close the segment, as manim's finish."""
        if self._closed:
            return
        self._closed = True
        try:
            self._mux(self._stream.encode())
        except Exception as error:
            with suppress(Exception):
                self._container.close()
            raise self._operation_error("finish", error) from error
        try:
            self._container.close()
        except Exception as error:
            raise self._operation_error("finish", error) from error


def _spans(repeat: int, step: int) -> list[int]:
    """How many frames each encoded copy of a frame held `repeat` frames is shown: `step` each, the last one what
    is left (one copy per frame when step is 1)."""
    whole = (repeat - 1) // max(step, 1)
    return [step] * whole + [repeat - step * whole]


STILL_SECONDS = 0.5  # in a narrated render, a held frame is encoded at most every this many seconds


class HeldFrameWriter(SceneFileWriter):
    def _create_segment_encoder(self, target: Path) -> VideoSegmentEncoder:
        if self.video_encoder is None:
            return super()._create_segment_encoder(target)
        spec = self.video_encoder
        if os.environ.get("BLOCKMATH_NARRATE") != "1" or spec.codec != "libx264":  # silent clips: constant rate
            return HeldFrameEncoder(target=target, spec=spec)
        return HeldFrameEncoder(target=target, spec=narrated_spec(spec), still_step=still_step(spec))


def narrated_spec(spec):
    """spec without B-frames, for a narrated render: frames decode in display order, so each packet's duration (the
    gap to the next one) is its span, and every copy of the stream (manim joining segments, the audio mux, the
    movie) keeps its length. With B-frames, the held frames' long gaps moved to other frames and clips ended 0.5 s
    early or late."""
    options = dict(spec.options)
    options["x264-params"] = ":".join(filter(None, [options.get("x264-params"), "bframes=0"]))
    return dataclasses.replace(spec, options=tuple(options.items()))


def still_step(spec) -> int:
    """Frames between the stored copies of a held frame in a narrated render (STILL_SECONDS at spec's rate)."""
    return round(STILL_SECONDS * spec.frame_rate)
