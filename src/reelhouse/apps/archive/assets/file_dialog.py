"""A native file dialog, run in a child process: Tk must own the main thread of its process,
and a dialog that hangs or crashes must not take the server with it."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from reelhouse.platform.errors import ReelhouseError

DIALOG_TITLE = "Reelhouse: register files"
# The child's exit status when the dialog cannot open; its stderr says why, in one line.
CANNOT_OPEN = 3
MAX_REASON_CHARS = 500


class DialogUnavailable(ReelhouseError):
    status_code = 503
    slug = "dialog-unavailable"
    title = "The file dialog cannot open"


class DialogTimedOut(ReelhouseError):
    status_code = 504
    slug = "dialog-timed-out"
    title = "The file dialog was not answered in time"


@dataclass(frozen=True)
class Picked:
    """The paths chosen in the dialog; none when it was cancelled."""

    paths: list[str]

    @property
    def cancelled(self) -> bool:
        return not self.paths


async def pick_files(initial_dir: Path, timeout_s: float) -> Picked:
    """Open the dialog on this machine's display and wait for the person at it. The child is
    killed on timeout (``DialogTimedOut``) and when the caller is cancelled."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        __name__,
        str(initial_dir),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout_s):
            out, err = await process.communicate()
    except TimeoutError as exc:
        message = f"no answer within {timeout_s:g} seconds; the dialog was closed"
        raise DialogTimedOut(message) from exc
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0:
        raise DialogUnavailable(_reason(err, process.returncode))
    return Picked(_paths(out))


def _reason(stderr: bytes, returncode: int | None) -> str:
    lines = stderr.decode(errors="replace").strip().splitlines()
    if returncode == CANNOT_OPEN and lines:
        return lines[-1][:MAX_REASON_CHARS]
    last = lines[-1][:MAX_REASON_CHARS] if lines else "no message"
    return f"the file dialog process ended with status {returncode}: {last}"


def _paths(stdout: bytes) -> list[str]:
    try:
        chosen = json.loads(stdout)
    except ValueError:
        chosen = None
    if not isinstance(chosen, list) or not all(isinstance(path, str) for path in chosen):
        raise DialogUnavailable("the file dialog answered something other than a list of paths")
    return chosen


def _show_dialog(initial_dir: str) -> int:
    """In the child: show the dialog, print the chosen paths as a JSON list, answer the status."""
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        print("no display: DISPLAY is not set", file=sys.stderr)
        return CANNOT_OPEN
    try:
        import tkinter
        from tkinter import filedialog
    except ImportError as exc:
        print(f"tkinter is not installed: {exc}", file=sys.stderr)
        return CANNOT_OPEN
    try:
        root = tkinter.Tk()
    except tkinter.TclError as exc:
        print(f"tkinter cannot start: {exc}", file=sys.stderr)
        return CANNOT_OPEN
    root.withdraw()
    chosen = filedialog.askopenfilenames(parent=root, title=DIALOG_TITLE, initialdir=initial_dir)
    root.destroy()
    # Tk answers an empty string, not an empty tuple, when the dialog is cancelled.
    print(json.dumps(list(chosen) if chosen else []))
    return 0


if __name__ == "__main__":
    sys.exit(_show_dialog(sys.argv[1] if len(sys.argv) > 1 else os.getcwd()))
