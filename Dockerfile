FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir .

COPY . .
# Static files and the translations' .mo files (compiled with polib: the image needs no gettext)
# are built here, once, not at each start.
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input \
    && DJANGO_DEBUG=false DJANGO_SECRET_KEY=collectstatic-only python manage.py compile_catalogues \
    && useradd --system --uid 1000 --home-dir /app norec \
    && mkdir -p /app/var/media && chown -R norec /app/var

# Celery refuses to be comfortable as root; everything runs as an ordinary user. The media folder
# exists in the image so that compose's named volume starts out owned by that user.
USER norec
EXPOSE 8000
# The access log goes to stdout with the tokens of invitation (and other secret) links redacted.
CMD ["gunicorn", "norec_network.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--logger-class", "core.gunicorn_logger.RedactingLogger"]
