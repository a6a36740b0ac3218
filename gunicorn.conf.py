"""gunicorn settings for ``gunicorn -c gunicorn.conf.py wsgi:app`` in a checkout (the
Procfile, ``make run``, the benchmarks): the same as ``pbhub serve``, from ``app.serving``."""

from app.serving import *  # noqa: F403
