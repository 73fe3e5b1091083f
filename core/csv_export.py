"""CSV downloads streamed row by row, safe to open in a spreadsheet."""

import csv

from django.http import StreamingHttpResponse


class _Echo:
    """A file-like object whose write() hands the line back instead of storing it."""

    def write(self, value):
        return value


def csv_safe(value):
    """Defuse spreadsheet formulas in user-supplied text."""
    value = "" if value is None else str(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_lines(header, rows):
    """Yield ``header`` and then each of ``rows`` as a CSV line.

    Every cell of ``rows`` is passed through ``csv_safe``; the header is ours.
    """
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([csv_safe(cell) for cell in row])


def streaming_csv_response(filename, header, rows):
    """Return a download of ``header`` and then ``rows`` (an iterable), never all in memory."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
