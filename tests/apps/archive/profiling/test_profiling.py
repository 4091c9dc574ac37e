"""Profiling generated files: the facts read back are the ones they were written with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import ImageFile

from reelhouse.apps.archive.profiling.tabular import profile_csv
from reelhouse.platform import profiling as registry
from reelhouse.platform.apps import InstalledApps
from reelhouse.platform.jobs.execution.runner import spawn_process_pool
from reelhouse.platform.profiling import (
    Profile,
    ProfileFailed,
    profile_file,
    register_profiler,
)
from reelhouse.settings import INSTALLED_APPS
from tests.apps.archive.conftest import (
    AUDIO_RATE,
    GPS_LATITUDE,
    TABLE_ROWS,
    VIDEO_FPS,
    VIDEO_SECONDS,
    VIDEO_SIZE,
    Video,
    cut,
    write_aac,
    write_video,
)


def stream_of(profile: Profile, kind: str) -> dict[str, object]:
    return next(s for s in profile.metadata["streams"] if s["type"] == kind)


def test_a_video_reads_back_as_it_was_encoded(video: Video) -> None:
    profile = profile_file(video.path)

    assert (profile.kind, profile.media_type) == ("video", "video/mp4")
    assert profile.duration_s == pytest.approx(VIDEO_SECONDS, abs=0.1)
    assert "mp4" in profile.metadata["format"].split(",")
    stream = stream_of(profile, "video")
    assert (stream["width"], stream["height"]) == VIDEO_SIZE
    assert stream["frame_rate"] == pytest.approx(VIDEO_FPS)
    assert (stream["codec"], stream["pixel_format"]) == ("h264", "yuv420p")
    assert stream["frames"] == video.frames
    json.dumps(profile.metadata, allow_nan=False)


def test_a_video_with_sound_lists_both_streams(video_with_audio: Video) -> None:
    profile = profile_file(video_with_audio.path)

    assert profile.kind == "video"
    assert [s["type"] for s in profile.metadata["streams"]] == ["video", "audio"]
    sound = stream_of(profile, "audio")
    assert (sound["codec"], sound["sample_rate"], sound["channels"]) == ("aac", AUDIO_RATE, 1)


def test_an_mp4_holding_only_sound_is_audio(tmp_path: Path) -> None:
    profile = profile_file(write_aac(tmp_path / "voice.m4a"))

    assert (profile.kind, profile.media_type) == ("audio", "audio/mp4")
    assert stream_of(profile, "audio")["sample_rate"] == AUDIO_RATE


def test_a_wav_reads_back_its_rate_channels_and_length(wav: Path) -> None:
    profile = profile_file(wav)

    assert profile.kind == "audio"
    assert profile.media_type.startswith("audio/")
    assert profile.duration_s == pytest.approx(1.0, abs=0.01)
    sound = stream_of(profile, "audio")
    assert (sound["sample_rate"], sound["channels"]) == (AUDIO_RATE, 1)
    assert (sound["codec"], sound["sample_format"]) == ("pcm_s16le", "s16")


def test_a_jpeg_reads_back_its_exif_orientation_and_position(jpeg: Path) -> None:
    profile = profile_file(jpeg)

    assert (profile.kind, profile.media_type, profile.duration_s) == ("image", "image/jpeg", None)
    facts = profile.metadata
    assert (facts["width"], facts["height"], facts["mode"], facts["format"]) == (
        400,
        300,
        "RGB",
        "JPEG",
    )
    assert facts["orientation"] == 6
    assert (facts["exif"]["Make"], facts["exif"]["Model"]) == ("Reelhouse Optics", "RH-1")
    assert facts["exif"]["GPSInfo"]["GPSLatitude"] == list(GPS_LATITUDE)
    degrees, minutes, seconds = GPS_LATITUDE
    assert facts["gps"]["latitude"] == pytest.approx(degrees + minutes / 60 + seconds / 3600)
    assert facts["gps"]["longitude"] < 0
    json.dumps(facts, allow_nan=False)


def test_a_png_reads_back_its_size_and_mode(png: Path) -> None:
    profile = profile_file(png)

    assert (profile.kind, profile.media_type) == ("image", "image/png")
    assert (profile.metadata["width"], profile.metadata["height"]) == (300, 200)
    assert profile.metadata["mode"] == "RGBA"
    assert profile.metadata["orientation"] is None


def test_a_parquet_file_reads_back_its_schema_from_the_footer(parquet: Path) -> None:
    profile = profile_file(parquet)

    assert (profile.kind, profile.media_type) == ("tabular", "application/vnd.apache.parquet")
    assert profile.metadata["columns"] == [
        {"name": "step", "type": "int64"},
        {"name": "speed", "type": "double"},
        {"name": "label", "type": "string"},
    ]
    assert (profile.metadata["num_rows"], profile.metadata["num_row_groups"]) == (TABLE_ROWS, 4)
    assert profile.metadata["created_by"].startswith("parquet-cpp-arrow")


def test_a_csv_reads_back_its_schema_and_row_count(csv: Path) -> None:
    profile = profile_file(csv)

    assert (profile.kind, profile.media_type) == ("tabular", "text/csv")
    assert [column["name"] for column in profile.metadata["columns"]] == ["step", "speed", "label"]
    assert profile.metadata["num_rows"] == TABLE_ROWS


def test_a_csv_column_that_changes_type_late_becomes_string(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    lines = ["step,reading", *(f"{i},{i * 2}" for i in range(2000)), "2000,sensor offline"]
    path.write_text("\n".join(lines) + "\n")

    profile = profile_csv(path, block_size=1024)

    assert profile.metadata["columns"] == [
        {"name": "step", "type": "int64"},
        {"name": "reading", "type": "string"},
    ]
    assert profile.metadata["num_rows"] == 2001


def test_an_mp4_cut_before_its_moov_box_fails(video: Video) -> None:
    with pytest.raises(ProfileFailed, match="cannot read video: truncated"):
        profile_file(cut(video.path, 0.4))


def test_an_mp4_ending_where_its_moov_box_should_start_fails(video: Video) -> None:
    data = video.path.read_bytes()
    end_of_media = data.index(b"moov") - 4

    with pytest.raises(ProfileFailed, match="no moov atom"):
        profile_file(cut(video.path, at=end_of_media))


def test_a_fast_start_mp4_with_its_media_cut_off_fails(tmp_path: Path) -> None:
    # With the moov box first, FFmpeg opens the cut file and reports the full duration.
    video = write_video(tmp_path / "streamable.mp4", options={"movflags": "faststart"})

    with pytest.raises(ProfileFailed, match="'mdat' box ends at byte"):
        profile_file(cut(video.path, 0.6))


@pytest.mark.parametrize("fixture", ["jpeg", "png"])
def test_a_truncated_image_fails(fixture: str, request: pytest.FixtureRequest) -> None:
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    image: Path = request.getfixturevalue(fixture)

    with pytest.raises(ProfileFailed, match=r"(?i)cannot read image: .*truncated"):
        profile_file(cut(image, 0.6))


@pytest.mark.parametrize(("fixture", "name"), [("wav", "audio"), ("parquet", "parquet")])
def test_other_truncated_files_fail(
    fixture: str, name: str, request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(fixture)

    with pytest.raises(ProfileFailed, match=f"cannot read {name}: "):
        profile_file(cut(path, 0.5))


def test_a_file_that_only_pretends_to_be_a_video_is_typed_by_its_content(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("these are not moving pictures\n" * 10)

    profile = profile_file(path)

    assert (profile.kind, profile.media_type) == ("other", "application/octet-stream")
    assert profile.metadata["media_type_mismatch"]["by_name"] == "video/mp4"


def test_magic_numbers_win_over_the_extension(jpeg: Path) -> None:
    renamed = jpeg.rename(jpeg.with_suffix(".mp4"))

    assert profile_file(renamed).kind == "image"


def test_an_unknown_binary_is_other(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(bytes(range(256)) * 4)

    assert profile_file(path) == Profile("other", "application/octet-stream", None, {"size": 1024})


def test_a_missing_file_fails_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(ProfileFailed, match="cannot read file: No such file"):
        profile_file(tmp_path / "gone.mp4")


def test_a_later_app_adds_a_profiler_and_the_highest_priority_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "_profilers", dict(registry._profilers))
    path = tmp_path / "drive.mcap"
    path.write_bytes(b"\x89MCAP0\r\n" + bytes(100))
    register_profiler(
        "any-log", lambda p, head: p.suffix == ".mcap", lambda p: Profile("log", "x", None)
    )
    register_profiler(
        "mcap", lambda p, head: head.startswith(b"\x89MCAP"), mcap_profile, priority=10
    )

    assert profile_file(path) == Profile("recording", "application/x-mcap", 1.5, {"topics": 2})


def mcap_profile(path: Path) -> Profile:
    return Profile("recording", "application/x-mcap", 1.5, {"topics": 2})


def test_an_error_inside_a_profiler_becomes_profile_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "_profilers", dict(registry._profilers))
    path = tmp_path / "drive.bag"
    path.write_bytes(b"#ROSBAG V2.0\n")
    register_profiler("bag", lambda p, head: head.startswith(b"#ROSBAG"), broken_profile)

    with pytest.raises(ProfileFailed, match="cannot read bag: index record 7 is cut short"):
        profile_file(path)


def broken_profile(path: Path) -> Profile:
    raise ValueError("index record 7 is cut short")


def test_profiles_and_failures_cross_into_a_fresh_worker_process(jpeg: Path, video: Video) -> None:
    # As the job runner builds it: each process imports the installed apps' profilers first.
    with spawn_process_pool(InstalledApps.load(INSTALLED_APPS).process_modules, 1) as pool:
        profile = pool.submit(profile_file, jpeg).result()
        failure = pool.submit(profile_file, cut(video.path, 0.4)).exception()

    assert profile == profile_file(jpeg)
    assert isinstance(failure, ProfileFailed)
    assert "truncated" in str(failure)
