"""Throughput, latency and memory of the ingest routes: ``python -m bench.run``.

For each configuration (PostgreSQL with Redis, and the embedded SQLite default) the
benchmark migrates a throwaway database, creates a source, serves the app with the
repository's ``gunicorn.conf.py`` and loads ``/pb/<token>`` and ``/t/<public_id>`` from
a separate process over loopback. A bare Flask app under the same settings gives the
ceiling the routes are compared with. See ``bench.run`` for the knobs.
"""
