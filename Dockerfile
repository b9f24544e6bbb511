# Production image: gunicorn serves the app, static files come from whitenoise.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
RUN pip install .

COPY . .
# A throw-away random key: with DEBUG off the settings refuse a weak or placeholder one.
RUN DEBUG=0 SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
    && useradd --system --home /app koningklant && chown -R koningklant /app
USER koningklant

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
