"""Where libxbar is, relative to this folder or absolute.

This file in the source tree lists nothing: there the library is found only
through XBAR_LIBRARY.  The build writes its own copy beside the package it
assembles in build/python/xbar (pointing at build/libxbar.so) and installs one
that points from the installed package to the installed library
(tests/python.cmake)."""

LIBRARY_PATHS = []
GIT_VERSION = "unknown"
