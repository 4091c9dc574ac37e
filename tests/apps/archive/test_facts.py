"""What probing records, through HTTP on real files: CSV schema from a probe, a photo's time
zone (or that it is local), a thumbnail's size kept across a refresh, content over a lying name."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from PIL import ExifTags, Image

from tests.apps.archive.test_assets import settled, upload
from tests.jobs_helpers import wait_for_job
from tests.media_samples import png_bytes

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "media"


def photo(
    taken: str, *, offset: str | None = None, gps_utc: tuple[str, float] | None = None
) -> bytes:
    """A JPEG taken at ``taken`` (EXIF wall clock), with its zone offset or a GPS fix if given."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Zoned Cam"
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.DateTimeOriginal] = taken
    if offset is not None:
        details[ExifTags.Base.OffsetTimeOriginal] = offset
    if gps_utc is not None:
        day, hour = gps_utc
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(
            {ExifTags.GPS.GPSDateStamp: day, ExifTags.GPS.GPSTimeStamp: (hour, 0.0, 0.0)}
        )
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 90, 90)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


async def test_a_csv_probed_by_upload_answers_its_schema_and_rows(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    content = b"t,speed,label\n0,1.5,a\n1,2.5,b\n2,3.0,c\n"

    probed = await client.post(
        "/ingest/probe", files={"file": ("speeds.csv", content)}, headers=admin_headers
    )

    assert probed.status_code == 200, probed.text
    assert probed.json()["kind"] == "tabular"
    assert probed.json()["facts"]["num_rows"] == 3
    assert [c["name"] for c in probed.json()["facts"]["columns"]] == ["t", "speed", "label"]


async def test_a_photo_time_takes_its_zone_from_the_offset_tag_or_the_gps_fix(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    zoned = (
        await upload(client, admin_headers, "a.jpg", photo("2024:05:01 08:30:00", offset="+02:00"))
    ).json()
    fixed = (
        await upload(
            client,
            admin_headers,
            "b.jpg",
            photo("2024:05:01 08:30:00", gps_utc=("2024:05:01", 15.5)),
        )
    ).json()
    zoned, fixed = [await settled(client, admin_headers, a["id"]) for a in (zoned, fixed)]

    assert zoned["recorded_at"].startswith("2024-05-01T06:30:00")
    assert zoned["facts"]["recorded_at_is_local"] is False
    assert fixed["recorded_at"].startswith("2024-05-01T15:30:00")
    assert fixed["facts"]["recorded_at_is_local"] is False


async def test_a_photo_time_without_a_zone_is_marked_local(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    # A real camera file: its GPS fix lies 22 hours from its clock, so it gives no zone.
    content = (SAMPLES / "DSCN0021_gps.jpg").read_bytes()
    asset = (await upload(client, admin_headers, "DSCN0021.jpg", content)).json()
    asset = await settled(client, admin_headers, asset["id"])

    assert asset["recorded_at"].startswith("2008-10-22T16:38:20")
    assert asset["facts"]["recorded_at_is_local"] is True


async def test_refreshing_a_thumbnail_keeps_its_longest_side(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    image = (await upload(client, admin_headers, "big.png", png_bytes(size=(600, 400)))).json()
    await settled(client, admin_headers, image["id"])
    thumbnails = (
        await client.get(f"/assets/{image['id']}/thumbnails", headers=admin_headers)
    ).json()
    first = thumbnails["items"][0]

    asked = await client.post(
        f"/outputs/{first['id']}/actions",
        json={"action": "refresh_metadata"},
        headers=admin_headers,
    )
    await wait_for_job(client, admin_headers, asked.json()["job_id"])
    refreshed = (await client.get(f"/outputs/{first['id']}", headers=admin_headers)).json()

    assert refreshed["facts"]["longest_side"] == first["facts"]["longest_side"]
    assert refreshed["facts"]["width"] == first["facts"]["longest_side"]


async def test_random_bytes_named_mp4_are_typed_by_their_content_and_the_mismatch_reported(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    content = bytes((index * 7919 + 13) % 251 for index in range(20_000))
    asset = (await upload(client, admin_headers, "holiday.mp4", content)).json()
    asset = await settled(client, admin_headers, asset["id"])

    assert (asset["status"], asset["kind"]) == ("indexed", "other")
    assert asset["media_type"] == "application/octet-stream"
    assert asset["facts"]["media_type_mismatch"]["by_name"] == "video/mp4"


async def test_a_png_named_mp4_is_read_as_an_image_and_the_mismatch_reported(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    asset = (await upload(client, admin_headers, "clip.mp4", png_bytes())).json()
    asset = await settled(client, admin_headers, asset["id"])

    assert (asset["status"], asset["kind"], asset["media_type"]) == (
        "indexed",
        "image",
        "image/png",
    )
    assert asset["facts"]["media_type_mismatch"] == {
        "by_name": "video/mp4",
        "by_content": "image/png",
        "reason": "the first bytes are those of image content, not of a .mp4 file",
    }
