# herlens: one image for the web server and the task worker.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HERLENS_VAR_DIR=/app/var \
    STATIC_ROOT=/app/var/static

WORKDIR /app
COPY pyproject.toml README.md ./
COPY herlens ./herlens
COPY annotations ./annotations
RUN pip install .
COPY manage.py ./
COPY templates ./templates
COPY static ./static

# collectstatic needs settings but no secrets or database.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput --verbosity 0

RUN useradd --create-home --uid 10001 herlens && mkdir -p /app/var && chown -R herlens /app/var
USER herlens
EXPOSE 8000
CMD ["gunicorn", "herlens.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
