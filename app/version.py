"""The hub's version: the one place it is written (setup.cfg reads it from here).

Shown by ``pbhub --version``, the dashboard's footer and ``/healthz``, so an operator can
tell which release answers without reading files on the server. Between releases it is
the next one's ``.dev0``; a release drops the suffix, moves the CHANGELOG's Unreleased
section under the version and is tagged ``v<version>``.
"""

VERSION = "0.2.0.dev0"
