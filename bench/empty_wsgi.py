"""A WSGI application that answers every request 204 without Django: what gunicorn itself
costs per request (bench/class_mode.py serves it the polling class as a floor)."""

from __future__ import annotations


def application(environ: dict, start_response) -> list[bytes]:
    start_response("204 No Content", [])
    return []
