"""Real media and tabular files, written in each test's folder by the libraries that read them."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from PIL import ExifTags, Image

# The archive's profilers register on import, as the manifest has every process do.
import reelhouse.apps.archive.profiling.builtin  # noqa: F401

VIDEO_SIZE = (64, 48)
VIDEO_FPS = 25
VIDEO_SECONDS = 2
AUDIO_RATE = 16_000
GPS_LATITUDE = (52.0, 30.0, 15.5)
GPS_LONGITUDE = (13.0, 24.0, 1.25)
TABLE_ROWS = 1000


@dataclass(frozen=True)
class Video:
    path: Path
    frames: int


def write_video(
    path: Path,
    *,
    audio: bool = False,
    rotation: int | None = None,
    options: dict[str, str] | None = None,
) -> Video:
    """An H.264 MP4 whose frame i is a flat grey of level 5 * i, so a frame shows its index."""
    frames = VIDEO_FPS * VIDEO_SECONDS
    width, height = VIDEO_SIZE
    with av.open(str(path), "w", options=options or {}) as container:
        video = container.add_stream("libx264", rate=VIDEO_FPS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        if rotation is not None:
            video.set_display_rotation(rotation)
        sound = container.add_stream("aac", rate=AUDIO_RATE, layout="mono") if audio else None
        for index in range(frames):
            pixels = np.full((height, width, 3), 5 * index, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            container.mux(video.encode(frame))
        container.mux(video.encode())
        if sound is not None:
            _write_tone(container, sound, AUDIO_RATE * VIDEO_SECONDS)
    return Video(path, frames)


def write_aac(path: Path, seconds: int = 1) -> Path:
    """An audio-only MP4 (M4A) of AAC at 16 kHz mono."""
    with av.open(str(path), "w") as container:
        sound = container.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        _write_tone(container, sound, AUDIO_RATE * seconds)
    return path


def _write_tone(
    container: av.container.OutputContainer, stream: av.audio.stream.AudioStream, samples: int
) -> None:
    time = np.arange(samples) / AUDIO_RATE
    tone = (0.3 * np.sin(2 * np.pi * 440 * time)).astype(np.float32).reshape(1, -1)
    for start in range(0, samples, 1024):
        chunk = tone[:, start : start + 1024]
        frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
        frame.sample_rate = AUDIO_RATE
        container.mux(stream.encode(frame))
    container.mux(stream.encode())


def cut(path: Path, fraction: float | None = None, *, at: int | None = None) -> Path:
    """A copy of ``path`` holding only its first ``fraction`` of bytes (or its first ``at``)."""
    data = path.read_bytes()
    end = at if at is not None else int(len(data) * (fraction or 0))
    copy = path.with_name(f"cut-{path.name}")
    copy.write_bytes(data[:end])
    return copy


@pytest.fixture
def video(tmp_path: Path) -> Video:
    return write_video(tmp_path / "clip.mp4")


@pytest.fixture
def video_with_audio(tmp_path: Path) -> Video:
    return write_video(tmp_path / "clip-with-sound.mp4", audio=True)


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    path = tmp_path / "tone.wav"
    samples = (np.sin(np.arange(AUDIO_RATE) / 10) * 10_000).astype("<i2")
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(AUDIO_RATE)
        file.writeframes(samples.tobytes())
    return path


def gradient(width: int, height: int, *, alpha: bool = False) -> Image.Image:
    xs = np.linspace(0, 255, width, dtype=np.uint8)
    ys = np.linspace(0, 255, height, dtype=np.uint8)
    channels = [np.tile(xs, (height, 1)), np.tile(ys[:, None], (1, width))]
    channels.append(np.full((height, width), 128, dtype=np.uint8))
    if alpha:
        channels.append(np.full((height, width), 200, dtype=np.uint8))
    return Image.fromarray(np.dstack(channels))


@pytest.fixture
def jpeg(tmp_path: Path) -> Path:
    """A 400x300 JPEG from a camera held upright: orientation 6 (shown 300 wide, 400 high)."""
    path = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Reelhouse Optics"
    exif[ExifTags.Base.Model] = "RH-1"
    exif[ExifTags.Base.Orientation] = 6
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: GPS_LATITUDE,
            ExifTags.GPS.GPSLongitudeRef: "W",
            ExifTags.GPS.GPSLongitude: GPS_LONGITUDE,
        }
    )
    gradient(400, 300).save(path, "JPEG", exif=exif, quality=90)
    return path


@pytest.fixture
def png(tmp_path: Path) -> Path:
    path = tmp_path / "drawing.png"
    gradient(300, 200, alpha=True).save(path, "PNG")
    return path


def sample_table() -> pa.Table:
    return pa.table(
        {
            "step": pa.array(range(TABLE_ROWS), pa.int64()),
            "speed": pa.array([i * 0.5 for i in range(TABLE_ROWS)], pa.float64()),
            "label": pa.array([f"run-{i % 7}" for i in range(TABLE_ROWS)], pa.string()),
        }
    )


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "runs.parquet"
    pq.write_table(sample_table(), path, row_group_size=TABLE_ROWS // 4)
    return path


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    path = tmp_path / "runs.csv"
    pa_csv.write_csv(sample_table(), path)
    return path
