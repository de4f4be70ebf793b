"""``python -m tongxin``: the same command as ``tongxin`` (the pre-commit hook's fallback)."""

from tongxin.cli import main

if __name__ == "__main__":
    main()
