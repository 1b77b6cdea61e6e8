"""Entry point of the ``pyg-vgae`` command. It imports nothing heavy
itself, so that Ctrl-C while torch is still loading ends with one line and
status 130, not a traceback."""
from __future__ import annotations

import signal
import sys

#: Whether Ctrl-C came while the command was still importing.
_interrupted = False


def _on_interrupt(signum, frame) -> None:
    # Remembered as well as raised: an import with a bare ``except`` may
    # swallow the exception, and the run must still not start.
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGINT, _on_interrupt)
    from .allocator import use_huge_pages
    use_huge_pages()  # before torch loads: see pyg_vgae.allocator
    try:
        from .cli import main as cli_main
        if _interrupted:
            raise KeyboardInterrupt
        code = cli_main()
    except KeyboardInterrupt:
        print("interrupted: stopped cleanly, no results written",
              file=sys.stderr)
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
