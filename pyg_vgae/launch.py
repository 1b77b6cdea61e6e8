"""Entry point of the ``pyg-vgae`` command. It parses the arguments before
torch loads (a usage error or ``--help`` answers at once), then imports the
commands with Ctrl-C only remembered, so that Ctrl-C while torch is still
loading ends with one line and status 130, not a traceback."""
from __future__ import annotations

import importlib
import signal
import sys

#: Whether Ctrl-C came while the command was still importing.
_interrupted = False


def _remember_interrupt(signum, frame) -> None:
    # Remembered, not raised: torch's import runs Python code called from
    # C++ (pybind11), where a KeyboardInterrupt raised by this handler
    # aborts the process ("terminate called ...", status -6) instead of
    # unwinding; and an import with a bare ``except`` would swallow it.
    global _interrupted
    _interrupted = True


def main() -> None:
    signal.signal(signal.SIGINT, _remember_interrupt)
    from .allocator import use_huge_pages
    use_huge_pages()  # before torch loads: see pyg_vgae.allocator
    from .cli import parse, run
    args = parse()
    importlib.import_module(".commands", __package__)  # torch loads here
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        if _interrupted:
            raise KeyboardInterrupt
        code = run(args)
    except KeyboardInterrupt:
        print("interrupted: stopped cleanly, no results written",
              file=sys.stderr)
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
