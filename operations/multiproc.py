"""prometheus_client's multiprocess mode, without Django (the gunicorn master imports this before it)."""

import os
import shutil


def directory() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def ensure_directory() -> None:
    """Counters write their files as soon as they are declared, so the directory must exist first."""
    if directory():
        os.makedirs(directory(), exist_ok=True)


def reset() -> None:
    """Empty PROMETHEUS_MULTIPROC_DIR when a process group starts: files of an earlier run's processes
    would be summed with this run's."""
    path = directory()
    if not path:
        return
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        full = os.path.join(path, name)
        if os.path.isdir(full):
            shutil.rmtree(full)
        elif name.endswith(".db"):
            os.remove(full)


def process_dead(pid: int) -> None:
    """A worker process exited: its live gauges are dropped (its counters stay in the sums)."""
    if directory() and pid:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
