"""One copy of the search index per machine, shared by every worker.

The first process to need an index version builds it (under a file lock, so one
process builds while the others wait off the request path) and writes its arrays as
``.npy`` files into ``SEARCH_INDEX_DIR``; every process then maps those files
read-only (``numpy.load(mmap_mode="r")``), so the operating system keeps one copy in
memory however many workers read it. The few newest versions are kept; an older one
is removed, its files staying readable by a process that still maps them until it
lets go.

Versions are those of ``SearchIndexVersion``, which only grows within one database:
the directory is named after the database and its counter's ``generation``, so a
database made anew, which counts from 1 again, never maps another's files. With
``SEARCH_INDEX_DIR`` empty (the tests) each process builds its own index in memory.
"""

import fcntl
import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection

KEEP_VERSIONS = 3


def load_index(version: int, *, base=None, changed=None):
    """The index of ``version``: mapped from the store, made into it first if no
    process has yet, from ``base`` updated with the ``changed`` agreements if given,
    else from scratch."""
    from .index_build import build_index, updated_index  # they import the engine

    def made():
        if base is not None and changed is not None:
            return updated_index(base, version, changed)
        return build_index(version)

    if not settings.SEARCH_INDEX_DIR:
        return made()
    from .models import SearchIndexVersion

    generation = SearchIndexVersion.generation_now()
    root = Path(settings.SEARCH_INDEX_DIR) / _database_key() / generation
    target = root / f"v{version}"
    if not (target / "meta.json").exists():
        root.mkdir(parents=True, exist_ok=True)
        with open(root / ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if not (target / "meta.json").exists():
                    _write(made(), target)
                    _prune(root, keep=target)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    return _read(target)


def _database_key() -> str:
    database = connection.settings_dict
    where = (
        f"{connection.vendor}:{database['HOST']}:{database['PORT']}:{database['NAME']}"
    )
    return f"{connection.vendor}-{hashlib.sha256(where.encode()).hexdigest()[:16]}"


def _write(index, target: Path) -> None:
    """The index's arrays, then its meta.json last, into a new directory renamed
    into place: a reader sees a whole version or none."""
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    for name, array in index.arrays.items():
        np.save(partial / f"{name}.npy", np.ascontiguousarray(array))
    meta = {"version": index.version}
    (partial / "meta.json").write_text(json.dumps(meta))
    os.rename(partial, target)


def _read(target: Path):
    from .engine import PublishedIndex

    meta = json.loads((target / "meta.json").read_text())
    # Plain arrays over the mapped files: numpy.memmap wraps the result of every
    # operation again, a cost a search of many small operations notices.
    arrays = {
        path.name.removesuffix(".npy"): np.asarray(np.load(path, mmap_mode="r"))
        for path in target.glob("*.npy")
    }
    return PublishedIndex(meta["version"], arrays)


def _prune(root: Path, *, keep: Path) -> None:
    """Remove all but the newest versions, and never ``keep``, just written."""
    versions = sorted(
        (int(path.name[1:]), path)
        for path in root.glob("v*")
        if path.name[1:].isdigit()
    )
    for _version, path in versions[:-KEEP_VERSIONS]:
        if path != keep:
            shutil.rmtree(path, ignore_errors=True)
