"""CSV downloads that a spreadsheet opens safely: the one home of the formula guard and of the
streamed writer (the leads export, the audit log export).

Customers choose their own names and admins' summaries quote them, so a cell may begin like a
formula: it gets a leading quote (OWASP's CSV injection advice), also when the formula sign
follows blanks or control characters, or is a full-width sign. Every cell is quoted, so a ';'
(the list separator of many Excel locales) never splits one, and a BOM makes spreadsheet
programs read the file as UTF-8."""
from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable

from flask import Response, stream_with_context

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
FLUSH_AT = 32_768  # bytes buffered before a chunk goes out


def _hidden(char: str) -> bool:
    """Characters a spreadsheet may skip before reading a formula: whitespace, control and
    format characters (zero-width space, BOM...)."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def csv_safe(value) -> str:
    """A cell a spreadsheet will not run."""
    text = "" if value is None else str(value)
    first = next((char for char in text if not _hidden(char)), "")
    if text.startswith(("\t", "\r", "\n")) or (first and unicodedata.normalize("NFKC", first) in FORMULA_STARTS):
        return "'" + text
    return text


def csv_download(filename: str, header: Iterable[str], rows: Iterable[Iterable]) -> Response:
    """A streamed attachment: `rows` are read as the response is sent, every cell made safe."""

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
        buffer.write("\ufeff")
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_safe(value) for value in row])
            if buffer.tell() > FLUSH_AT:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
