"""Small real files written by the field's libraries, to upload in tests."""

from __future__ import annotations

import io
import wave
from fractions import Fraction

import av
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

VIDEO_SIZE = (64, 48)
VIDEO_FPS = 25
VIDEO_SECONDS = 2


def png_bytes(
    size: tuple[int, int] = (40, 30), color: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_with_exif(make: str = "Reelhouse Cam", size: tuple[int, int] = (48, 32)) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = make  # Make
    exif[0x0112] = 6  # Orientation: rotated 90 degrees
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def wav_bytes(seconds: float = 1.0, rate: int = 16_000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        samples = (np.sin(np.arange(int(seconds * rate)) / 8) * 12_000).astype("<i2")
        sound.writeframes(samples.tobytes())
    return buffer.getvalue()


def mp4_bytes() -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=VIDEO_FPS)
        stream.width, stream.height = VIDEO_SIZE
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, VIDEO_FPS)
        for index in range(VIDEO_FPS * VIDEO_SECONDS):
            pixels = np.full((VIDEO_SIZE[1], VIDEO_SIZE[0], 3), index * 4 % 255, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def parquet_bytes(rows: int = 100) -> bytes:
    table = pa.table({"t": list(range(rows)), "speed": [row * 0.5 for row in range(rows)]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def jpeg_taken_at(moment: str, make: str = "Dated Cam") -> bytes:
    """A JPEG whose EXIF says when it was taken (``YYYY:MM:DD HH:MM:SS``)."""
    exif = Image.Exif()
    exif[0x010F] = make
    exif.get_ifd(0x8769)[0x9003] = moment  # Exif IFD: DateTimeOriginal
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 90, 90)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()
