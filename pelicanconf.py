"""Settings for ``pelican content`` at the repository root: builds the demo branch in content/.

The values come from ``tongxin.settings`` so that ``pelican content`` and ``tongxin build``
produce the same site; the branch itself is described in ``content/site.yaml``.
"""

from pathlib import Path

from tongxin.settings import pelican_settings

globals().update(pelican_settings(Path(__file__).resolve().parent))
