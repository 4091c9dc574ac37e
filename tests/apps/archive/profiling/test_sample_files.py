"""Profiling real files recorded by others, checked against PyAV, Pillow and pyarrow directly."""

from __future__ import annotations

import json
import os
from pathlib import Path

import av
import pyarrow.parquet as pq
import pytest
from PIL import ExifTags, Image

from reelhouse.apps.archive.profiling.thumbnails import make_thumbnails
from reelhouse.platform.profiling import profile_file

SAMPLES = Path(os.environ.get("REELHOUSE_SAMPLE_DATA", "/work/shared/data"))
MEDIA = sorted((SAMPLES / "media").glob("*")) if SAMPLES.is_dir() else []
TABLES = sorted((SAMPLES / "tabular").glob("*.parquet")) if SAMPLES.is_dir() else []

needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no sample files at {SAMPLES}")


def expected_media_facts(path: Path) -> dict[str, object]:
    with av.open(str(path)) as container:
        assert container.duration is not None
        facts: dict[str, object] = {"duration_s": container.duration / av.time_base}
        for stream in container.streams.video:
            facts |= {"size": (stream.width, stream.height), "fps": float(stream.average_rate or 0)}
        for sound in container.streams.audio:
            facts |= {"sample_rate": sound.sample_rate, "channels": sound.channels}
        facts["kind"] = "video" if container.streams.video else "audio"
    return facts


@needs_samples
@pytest.mark.parametrize("path", [p for p in MEDIA if p.suffix in (".mp4", ".wav")], ids=str)
def test_sample_videos_and_sounds(path: Path, tmp_path: Path) -> None:
    expected = expected_media_facts(path)

    profile = profile_file(path)

    json.dumps(profile.metadata, allow_nan=False)
    assert profile.kind == expected["kind"]
    assert profile.duration_s == pytest.approx(expected["duration_s"])
    streams = {stream["type"]: stream for stream in profile.metadata["streams"]}
    if "size" in expected:
        assert (streams["video"]["width"], streams["video"]["height"]) == expected["size"]
        assert streams["video"]["frame_rate"] == pytest.approx(expected["fps"])
    if "sample_rate" in expected:
        assert streams["audio"]["sample_rate"] == expected["sample_rate"]
        assert streams["audio"]["channels"] == expected["channels"]
    thumbnails = make_thumbnails(path, profile.kind, profile.duration_s, tmp_path)
    assert len(thumbnails) == (2 if profile.kind == "video" else 0)


@needs_samples
@pytest.mark.parametrize("path", [p for p in MEDIA if p.suffix in (".jpg", ".png")], ids=str)
def test_sample_images(path: Path, tmp_path: Path) -> None:
    with Image.open(path) as image:
        expected = (image.width, image.height, image.mode, image.format)
        make = image.getexif().get(ExifTags.Base.Make)
        gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)

    profile = profile_file(path)

    facts = profile.metadata
    json.dumps(facts, allow_nan=False)
    assert (facts["width"], facts["height"], facts["mode"], facts["format"]) == expected
    assert facts["exif"].get("Make") == make
    assert (facts["gps"] is not None) == bool(gps)
    thumbnails = make_thumbnails(path, profile.kind, None, tmp_path)
    with Image.open(thumbnails[-1]) as thumbnail:
        assert max(thumbnail.size) == 512


@needs_samples
@pytest.mark.parametrize("path", TABLES, ids=str)
def test_sample_tables(path: Path) -> None:
    table = pq.read_table(path)

    profile = profile_file(path)

    assert profile.metadata["num_rows"] == table.num_rows
    assert [column["name"] for column in profile.metadata["columns"]] == table.schema.names
