"""Every background job, in one place. Jobs are plain functions named by import path.

Under RQ they run in ``worker.py`` with an app context already pushed; in-process they run
on the queue's thread, also inside an app context (``app.queue``).
"""
