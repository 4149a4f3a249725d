# posthog-core web service. With DATABASE_URL set (docker-compose.yml does) it uses that server
# and never starts the embedded PostgreSQL.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    POSTHOG_CORE_DATA_DIR=/data

WORKDIR /app
COPY . .
# Editable, so templates and other non-Python files are read from /app as under `make run`.
RUN pip install -e . \
    && useradd --system --home-dir /app posthog \
    && mkdir -p /data \
    && chown posthog /data
USER posthog

EXPOSE 8000
# Migrate, create the demo account on first start (prints a key to the logs), then serve.
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py demo && exec gunicorn -c python:posthog_core.gunicorn_conf --bind 0.0.0.0:8000 posthog_core.wsgi"]
