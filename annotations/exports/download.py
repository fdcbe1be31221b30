"""An export as an HTTP download: the same streamed answer for the web page and the API."""

from __future__ import annotations

from django.http import HttpRequest, StreamingHttpResponse

from annotations.exports import CONTENT_TYPES, ExportFilter, export_filename, export_stream
from annotations.models import Project


def export_response(
    request: HttpRequest, project: Project, fmt: str, export_filter: ExportFilter, exact: bool
) -> StreamingHttpResponse:
    """Return the export as a streamed download."""
    base = request.build_absolute_uri(project.get_absolute_url())
    response = StreamingHttpResponse(
        export_stream(fmt, project, export_filter, exact=exact, base=base),
        content_type=CONTENT_TYPES[fmt],
    )
    filename = export_filename(project, fmt)
    if export_filter.revision is not None:
        stem, dot, extension = filename.rpartition(".")
        (document,) = set(export_filter.documents)  # export_stream has checked there is one
        filename = f"{stem}-document-{document}-revision-{export_filter.revision}{dot}{extension}"
    if fmt == "csv" and exact:
        filename = filename.replace(".csv", "-exact.csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
