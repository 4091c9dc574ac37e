"""Thumbnails: the right picture, the right way up, at each size asked for."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageStat

from reelhouse.apps.archive.profiling.thumbnails import make_thumbnails
from reelhouse.platform.profiling import ProfileFailed, profile_file
from tests.apps.archive.conftest import Video, cut, write_video


def thumbnails_of(path: Path, out_dir: Path) -> list[Path]:
    profile = profile_file(path)
    return make_thumbnails(path, profile.kind, profile.duration_s, out_dir)


def sizes_of(paths: list[Path]) -> list[tuple[int, int]]:
    sizes = []
    for path in paths:
        with Image.open(path) as image:
            assert image.format == "JPEG"
            image.load()
            sizes.append(image.size)
    return sizes


def test_a_photo_is_thumbnailed_upright_at_each_size(jpeg: Path, tmp_path: Path) -> None:
    written = thumbnails_of(jpeg, tmp_path / "thumbs")

    assert [path.name for path in written] == ["thumbnail-128.jpg", "thumbnail-512.jpg"]
    # Stored 400x300 with orientation 6: a viewer shows it 300 wide and 400 high.
    assert sizes_of(written) == [(96, 128), (384, 512)]


def test_a_transparent_png_becomes_an_opaque_jpeg(png: Path, tmp_path: Path) -> None:
    written = make_thumbnails(png, "image", None, tmp_path / "thumbs", sizes=(64,))

    assert sizes_of(written) == [(64, 43)]
    with Image.open(written[0]) as thumbnail:
        assert thumbnail.mode == "RGB"


def test_a_video_is_thumbnailed_from_the_frame_at_a_tenth_of_its_length(
    video: Video, tmp_path: Path
) -> None:
    written = thumbnails_of(video.path, tmp_path / "thumbs")

    assert sizes_of(written) == [(128, 96), (512, 384)]
    # Frame i is grey level 5 * i; a tenth into 2 s at 25 fps is frame 5.
    with Image.open(written[0]) as thumbnail:
        assert ImageStat.Stat(thumbnail.convert("L")).mean[0] == pytest.approx(25, abs=2.5)


def test_a_video_recorded_upright_is_thumbnailed_upright(tmp_path: Path) -> None:
    video = write_video(tmp_path / "phone.mp4", rotation=90)

    written = thumbnails_of(video.path, tmp_path / "thumbs")

    assert sizes_of(written) == [(96, 128), (384, 512)]
    assert profile_file(video.path).metadata["streams"][0]["rotation"] == 90


def test_sound_and_tables_have_no_thumbnail(wav: Path, csv: Path, tmp_path: Path) -> None:
    assert thumbnails_of(wav, tmp_path / "wav") == []
    assert thumbnails_of(csv, tmp_path / "csv") == []


@pytest.mark.parametrize("kind", ["image", "video"])
def test_an_unreadable_picture_fails(kind: str, jpeg: Path, video: Video, tmp_path: Path) -> None:
    broken = cut(jpeg if kind == "image" else video.path, 0.4)

    with pytest.raises(ProfileFailed, match=f"cannot make a thumbnail of {kind}"):
        make_thumbnails(broken, kind, 2.0, tmp_path / "thumbs")
