"""Production settings for bench_moderation.py, with one change: static files are
stored without the manifest post-processing, which today fails on the vendored
leaflet.js (it names a source map that is not in the repository). The queue page
measured here does not depend on how static files are stored."""

from config.settings.production import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

import os  # noqa: E402

# Collected into the bench's temporary directory, not the working tree.
STATIC_ROOT = os.environ.get("STATIC_ROOT_BENCH", str(STATIC_ROOT))  # noqa: F405
