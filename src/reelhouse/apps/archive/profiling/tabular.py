"""Tabular facts with pyarrow: Parquet from its footer alone, CSV in one streamed pass."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from reelhouse.platform.profiling import Profile, ProfileFailed

PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"
CSV_BLOCK_SIZE = 1 << 20
_CONVERSION_ERROR = re.compile(r"In CSV column #(\d+): CSV conversion error")


class _ColumnDisagrees(Exception):
    """A later block of a CSV holds a value the type inferred from the first block refuses."""

    def __init__(self, column: str) -> None:
        super().__init__(column)
        self.column = column


def profile_parquet(path: Path) -> Profile:
    """Schema, row and row-group counts and writer of a Parquet file, read from its footer only."""
    footer = pq.read_metadata(path)
    metadata: dict[str, Any] = {
        "format": "parquet",
        "columns": _columns(footer.schema.to_arrow_schema()),
        "num_rows": int(footer.num_rows),
        "num_row_groups": int(footer.num_row_groups),
        "created_by": str(footer.created_by) if footer.created_by else None,
        "format_version": str(footer.format_version),
        "size": path.stat().st_size,
    }
    return Profile("tabular", PARQUET_MEDIA_TYPE, None, metadata)


def profile_csv(path: Path, *, block_size: int = CSV_BLOCK_SIZE) -> Profile:
    """Inferred schema and row count of a CSV (or TSV), streamed one block at a time.

    Types are inferred from the first block; a column a later block contradicts becomes string.
    """
    tsv = path.suffix.lower() == ".tsv"
    widened: dict[str, Any] = {}
    while True:
        try:
            schema, rows = _scan_csv(path, "\t" if tsv else ",", block_size, widened)
            break
        except _ColumnDisagrees as disagreement:
            if disagreement.column in widened:
                raise ProfileFailed(f"column {disagreement.column!r} cannot be read") from None
            widened[disagreement.column] = pa.string()
    metadata: dict[str, Any] = {
        "format": "tsv" if tsv else "csv",
        "columns": _columns(schema),
        "num_rows": rows,
        "size": path.stat().st_size,
    }
    return Profile("tabular", "text/tab-separated-values" if tsv else "text/csv", None, metadata)


def _scan_csv(
    path: Path, delimiter: str, block_size: int, column_types: dict[str, Any]
) -> tuple[Any, int]:
    reader = pa_csv.open_csv(
        str(path),
        read_options=pa_csv.ReadOptions(block_size=block_size),
        parse_options=pa_csv.ParseOptions(delimiter=delimiter),
        convert_options=pa_csv.ConvertOptions(column_types=column_types),
    )
    schema, rows = reader.schema, 0
    try:
        for batch in reader:
            rows += int(batch.num_rows)
    except pa.ArrowInvalid as exc:
        match = _CONVERSION_ERROR.search(str(exc))
        if match is None:
            raise
        raise _ColumnDisagrees(schema.field(int(match[1])).name) from exc
    finally:
        reader.close()
    return schema, rows


def _columns(schema: Any) -> list[dict[str, str]]:
    return [{"name": str(field.name), "type": str(field.type)} for field in schema]
