"""The project's pluggy markers, in a module of their own so hookspecs and plugins can
both import them without importing each other."""

import pluggy

PROJECT = "pbhub"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
