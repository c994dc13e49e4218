# Wareshare web, worker and beat image (one image, three commands: see compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=marketplace.settings.production \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media \
    GUNICORN_BIND=0.0.0.0:8000

WORKDIR /app
RUN groupadd --system wareshare && useradd --system --gid wareshare --home-dir /app --no-create-home wareshare

# gettext compiles the translation catalogues (locale/*.po -> .mo) below; fonts-wqy-zenhei is the
# font embedded in the PDF receipts and invoices (Latin and Chinese; documents/pdf.py).
RUN apt-get update && apt-get install -y --no-install-recommends gettext fonts-wqy-zenhei \
 && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# collectstatic needs settings, not secrets: throwaway values that exist only in this RUN step.
RUN DJANGO_SECRET_KEY=collectstatic-only-not-a-secret-value-0123456789abcdef \
    DATABASE_URL=postgres://build@localhost/build DJANGO_ALLOWED_HOSTS=localhost EMAIL_URL=consolemail:// \
    python manage.py collectstatic --noinput -v0 \
 && ./scripts/i18n_compile.sh \
 && mkdir -p /app/media && chown -R wareshare:wareshare /app/media

USER wareshare
EXPOSE 8000
# The probe names an allowed host: Django answers 400 to any other Host header.
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import os, sys, urllib.request as u; host = os.environ['DJANGO_ALLOWED_HOSTS'].split(',')[0].lstrip('.*'); sys.exit(u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': host}), timeout=4).status != 200)"
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
