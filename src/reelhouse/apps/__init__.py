"""The installed apps: the one list that names them. Each is a folder with the same files,
standing on the platform, and declares itself in its ``manifest.py``.

Adding an app is a new folder and one line here (``docs/adding-an-app.md``).
"""

from reelhouse.apps.archive.manifest import ARCHIVE
from reelhouse.apps.dashboard.manifest import DASHBOARD
from reelhouse.apps.recordings.manifest import RECORDINGS
from reelhouse.platform.apps import AppManifest

INSTALLED_APPS: tuple[AppManifest, ...] = (ARCHIVE, RECORDINGS, DASHBOARD)
