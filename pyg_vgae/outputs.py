"""Where results go: every output path is checked before any work (empty,
a folder, too long, unwritable, of a type the writer does not produce, the
same as an input or as another output), then written atomically."""
from __future__ import annotations

import os
from pathlib import Path

#: What each output flag can write, by suffix (``None``: any name).
OUTPUT_SUFFIXES: dict[str, tuple[str, ...] | None] = {
    "--json": (".json", ),
    "--plot": (".png", ".pdf", ".svg", ".jpg", ".jpeg"),
    "--save": (".pt", ".pth", ".ckpt"),
    "--out": (".npy", ".pt"),
    "--scores": (".npy", ".csv", ".pt"),
    "--log-dir": None,
}


class OutputError(ValueError):
    """An output path that cannot be written as asked."""


def _limit(folder: Path, name: str, default: int) -> int:
    try:
        return os.pathconf(folder, name)
    except (OSError, ValueError):
        return default


def _nearest_existing(path: Path) -> Path:
    for parent in path.parents:
        if parent.exists():
            return parent
    return Path(".")


def check_output(flag: str, value: str | None,
                 inputs: dict[str, str | None]) -> Path | None:
    """``value`` as a path ``flag`` can write, or :class:`OutputError`
    naming the flag and the fix. ``inputs`` maps input flags to their paths;
    an output must not overwrite one."""
    if value is None:
        return None
    if not value.strip():
        raise OutputError(f"{flag} is empty (an unset shell variable?); "
                          f"name a file")
    path = Path(value).expanduser()
    _check_writable(flag, value, path)  # first: stat() fails on long names
    is_folder_flag = OUTPUT_SUFFIXES.get(flag) is None
    if not is_folder_flag and (path.is_dir() or value.endswith(os.sep)):
        raise OutputError(f"{flag} '{value}' is a folder; name a file in it")
    if is_folder_flag and path.exists() and not path.is_dir():
        raise OutputError(f"{flag} '{value}' is a file; name a folder")
    suffixes = OUTPUT_SUFFIXES.get(flag)
    if suffixes and path.suffix.lower() not in suffixes:
        raise OutputError(f"{flag} '{value}': cannot write "
                          f"'{path.suffix or 'no suffix'}' files; use "
                          f"{' or '.join(suffixes)}")
    for input_flag, input_value in inputs.items():
        if input_value and _same_file(path, Path(input_value)):
            raise OutputError(f"{flag} '{value}' is the {input_flag} input; "
                              f"write to another file")
    return path


def _check_writable(flag: str, value: str, path: Path) -> None:
    anchor = _nearest_existing(path.absolute())
    if not anchor.is_dir():
        raise OutputError(f"{flag} '{value}': '{anchor}' is a file, not a "
                          f"folder")
    name_max = _limit(anchor, "PC_NAME_MAX", 255)
    long_part = next((part for part in path.parts
                      if len(part.encode()) > name_max), None)
    if long_part is not None:
        raise OutputError(f"{flag}: the name '{long_part[:40]}...' is longer "
                          f"than this file system allows ({name_max} bytes)")
    if len(str(path.absolute()).encode()) >= _limit(anchor, "PC_PATH_MAX",
                                                    4096):
        raise OutputError(f"{flag}: the path is longer than this file system "
                          f"allows")
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise OutputError(f"{flag} '{value}': cannot write into '{anchor}' "
                          f"(permission denied)")


def _same_file(first: Path, second: Path) -> bool:
    try:
        if first.exists() and second.exists():
            return os.path.samefile(first, second)
    except OSError:
        return False
    return first.expanduser().absolute() == second.expanduser().absolute()


def check_outputs(outputs: dict[str, str | None],
                  inputs: dict[str, str | None]) -> dict[str, Path | None]:
    """Check every output (see :func:`check_output`) and that no two name
    the same file."""
    checked = {flag: check_output(flag, value, inputs)
               for flag, value in outputs.items()}
    seen: dict[Path, str] = {}
    for flag, path in checked.items():
        if path is None:
            continue
        key = path.expanduser().absolute()
        if key in seen:
            raise OutputError(f"{flag} and {seen[key]} name the same file "
                              f"'{path}'; give each its own")
        seen[key] = flag
    return checked
