"""gunicorn settings (`gunicorn -c gunicorn.conf.py marketplace.wsgi`). Values come from
marketplace/settings/env.py like every other environment variable."""

from marketplace.settings import env as e

wsgi_app = "marketplace.wsgi:application"
bind = e.GUNICORN_BIND  # the container sets 0.0.0.0:8000; the default stays on loopback
workers = e.GUNICORN_WORKERS
threads = e.GUNICORN_THREADS
timeout = e.GUNICORN_TIMEOUT
graceful_timeout = 30
# The control socket (gunicornc) defaults to one path per user, shared by every server on the host:
# only with a path of this server's own (GUNICORN_CONTROL_SOCKET), off otherwise.
control_socket_disable = not e.GUNICORN_CONTROL_SOCKET
if e.GUNICORN_CONTROL_SOCKET:
    control_socket = e.GUNICORN_CONTROL_SOCKET
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
# Access log to stdout, error log to stderr; the request id ties a line to the app's JSON logs.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s "%(a)s"'
forwarded_allow_ips = "*"  # the load balancer sets X-Forwarded-*; the app trusts it via settings


# Prometheus (PROMETHEUS_METRICS): every worker process writes its metrics to PROMETHEUS_MULTIPROC_DIR
# and /internal/metrics adds them up. The directory is emptied when the server starts, and a worker
# that exits (max_requests, a crash) is marked dead so its live gauges stop counting.
def on_starting(server: object) -> None:
    if e.PROMETHEUS_METRICS and e.PROMETHEUS_MULTIPROC_DIR:
        from common.metrics import multiproc_dir_clear

        multiproc_dir_clear(e.PROMETHEUS_MULTIPROC_DIR)


def child_exit(server: object, worker: object) -> None:
    if e.PROMETHEUS_MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
