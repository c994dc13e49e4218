"""gunicorn settings (`gunicorn -c gunicorn.conf.py marketplace.wsgi`). Values come from
marketplace/settings/env.py like every other environment variable."""

from marketplace.settings import env as e

wsgi_app = "marketplace.wsgi:application"
bind = e.GUNICORN_BIND  # the container sets 0.0.0.0:8000; the default stays on loopback
workers = e.GUNICORN_WORKERS
threads = e.GUNICORN_THREADS
timeout = e.GUNICORN_TIMEOUT
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
# Access log to stdout, error log to stderr; the request id ties a line to the app's JSON logs.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s "%(a)s"'
forwarded_allow_ips = "*"  # the load balancer sets X-Forwarded-*; the app trusts it via settings
