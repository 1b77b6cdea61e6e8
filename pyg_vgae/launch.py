"""Entry point of the ``pyg-vgae`` command. It imports nothing heavy
itself, so that Ctrl-C while torch is still loading ends with one line and
status 130, not a traceback."""
from __future__ import annotations

import sys


def main() -> None:
    try:
        from .cli import main as cli_main
        code = cli_main()
    except KeyboardInterrupt:
        print("interrupted: stopped cleanly, no results written",
              file=sys.stderr)
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
