"""``python -m artifact_browser``: the same as the ``artifact-browser`` command."""

from artifact_browser.app import main

if __name__ == "__main__":
    raise SystemExit(main())
