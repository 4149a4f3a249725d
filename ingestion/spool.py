"""The capture spool: batches the database could not take, kept on local disk until it can.

Layout under CAPTURE_SPOOL_DIR (one spool per node, shared by its processes):
- `active.spool`: appended by every capture request, each record under an exclusive `flock` and
  `fsync`ed before the request is acknowledged.
- `segment-<ns>.spool`: the active file sealed (renamed) by the drainer; drained oldest first.
- `segment-<ns>.spool.offset`: how far the drainer got in that segment (replaced atomically after
  each batch is committed). A drainer killed between the commit and the offset write replays
  that batch, which the insert skips by `(project, uuid)`: nothing is lost or doubled.
- `drain.lock`: held (`flock`) by the one process draining at a time.

A record is `MAGIC | length (u32) | crc32 (u32) | JSON payload`. A record whose frame or checksum
does not hold (a torn write at a crash, a flipped bit) is skipped up to the next MAGIC: it never
blocks the records after it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

MAGIC = b"PHSP"
HEADER = struct.Struct(">4sII")
ACTIVE = "active.spool"
SEGMENT_PREFIX = "segment-"
SUFFIX = ".spool"
OFFSET_SUFFIX = ".offset"
DRAIN_LOCK = "drain.lock"


class SpoolFull(Exception):
    """The spool has reached CAPTURE_SPOOL_MAX_BYTES: the batch cannot be kept."""


@dataclass
class DrainResult:
    batches: int = 0
    skipped: int = 0
    interrupted: bool = False


def spool_dir() -> Path:
    path = Path(settings.CAPTURE_SPOOL_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _spool_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.endswith(SUFFIX))


def _segments(directory: Path) -> list[Path]:
    return [p for p in _spool_files(directory) if p.name.startswith(SEGMENT_PREFIX)]


def _offset_path(segment: Path) -> Path:
    return segment.with_name(segment.name + OFFSET_SUFFIX)


def _offset_read(segment: Path) -> int:
    try:
        return int(_offset_path(segment).read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def _offset_write(segment: Path, offset: int) -> None:
    target = _offset_path(segment)
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "w") as handle:
        handle.write(str(offset))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)


def frame(payload: bytes) -> bytes:
    return HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


def records(data: bytes, start: int = 0) -> Iterator[tuple[int, bytes | None]]:
    """(end offset, payload) for each record from `start`; payload None for a corrupt stretch,
    whose end is the next MAGIC (or the end of the data)."""
    pos = start
    while pos < len(data):
        end, payload = _record_at(data, pos)
        if payload is None:
            found = data.find(MAGIC, pos + 1)
            end = len(data) if found == -1 else found
        yield end, payload
        pos = end


def _record_at(data: bytes, pos: int) -> tuple[int, bytes | None]:
    if pos + HEADER.size > len(data):
        return len(data), None
    magic, length, crc = HEADER.unpack_from(data, pos)
    end = pos + HEADER.size + length
    if magic != MAGIC or end > len(data):
        return end, None
    payload = data[pos + HEADER.size : end]
    return (end, payload) if zlib.crc32(payload) == crc else (end, None)


@contextmanager
def _locked_active(directory: Path) -> Iterator[int]:
    """The active file's descriptor under an exclusive flock, re-opened if the drainer renamed
    the file between our open and our lock (a record must never land in a sealed segment)."""
    path = directory / ACTIVE
    while True:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            current = os.stat(path)
        except FileNotFoundError:
            current = None
        opened = os.fstat(fd)
        if current is not None and (current.st_ino, current.st_dev) == (opened.st_ino, opened.st_dev):
            break
        os.close(fd)
    try:
        yield fd
    finally:
        os.close(fd)  # releases the flock


def spool_bytes(directory: Path | None = None) -> int:
    directory = directory or spool_dir()
    total = 0
    for path in _spool_files(directory):
        try:
            total += path.stat().st_size
        except FileNotFoundError:
            continue  # drained meanwhile
    return total


def spool_append(payload: bytes) -> None:
    """Append one record and fsync it; raise SpoolFull past CAPTURE_SPOOL_MAX_BYTES."""
    directory = spool_dir()
    record = frame(payload)
    with _locked_active(directory) as fd:
        # Checked under the active file's lock, so two appends cannot both take the last room.
        if spool_bytes(directory) + len(record) > settings.CAPTURE_SPOOL_MAX_BYTES:
            raise SpoolFull()
        created = os.fstat(fd).st_size == 0
        view = memoryview(record)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    if created:
        _fsync_dir(directory)  # the new file's directory entry must survive a crash too


def spool_depth() -> tuple[int, int]:
    """(batches, bytes) waiting in the spool, for /_health and the metrics gauge."""
    directory = spool_dir()
    batches = size = 0
    for path in _spool_files(directory):
        offset = _offset_read(path) if path.name.startswith(SEGMENT_PREFIX) else 0
        try:
            counted, length = _count_records(path, offset)
        except FileNotFoundError:
            continue  # drained meanwhile
        batches += counted
        size += max(0, length - offset)
    return batches, size


def _count_records(path: Path, offset: int) -> tuple[int, int]:
    """Records from `offset` by their headers alone (a health check must not read a large spool);
    past the first broken frame, the rest is read and checked record by record."""
    count = 0
    with open(path, "rb") as handle:
        length = os.fstat(handle.fileno()).st_size
        pos = offset
        while pos + HEADER.size <= length:
            handle.seek(pos)
            magic, size, _ = HEADER.unpack(handle.read(HEADER.size))
            if magic != MAGIC or pos + HEADER.size + size > length:
                handle.seek(pos)
                return count + sum(1 for _, payload in records(handle.read()) if payload is not None), length
            count += 1
            pos += HEADER.size + size
        return count, length


def _seal(directory: Path) -> None:
    """Rename the active file to a new segment (under its lock, so no append is half-done)."""
    if not (directory / ACTIVE).exists():
        return
    with _locked_active(directory) as fd:
        if os.fstat(fd).st_size == 0:
            return
        os.rename(directory / ACTIVE, directory / f"{SEGMENT_PREFIX}{time.time_ns():020d}{SUFFIX}")
    _fsync_dir(directory)


@contextmanager
def drain_lock(directory: Path) -> Iterator[bool]:
    """True when this process now holds the node's drain lock; False when another one does."""
    fd = os.open(directory / DRAIN_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def spool_drain(*, write: Callable[[bytes], None], is_retryable: Callable[[BaseException], bool]) -> DrainResult | None:
    """Hand every spooled record, oldest first, to `write` (which commits it); None when another
    process is draining. An error `is_retryable` says is temporary (the database went away again)
    stops the pass with the record kept; any other error skips the record, logged."""
    directory = spool_dir()
    with drain_lock(directory) as held:
        if not held:
            return None
        _seal(directory)
        result = DrainResult()
        for segment in _segments(directory):
            if not _segment_drain(segment, write=write, is_retryable=is_retryable, result=result):
                result.interrupted = True
                return result
        return result


def _segment_drain(segment: Path, *, write, is_retryable, result: DrainResult) -> bool:
    start = _offset_read(segment)
    data = segment.read_bytes()
    for end, payload in records(data, start):
        if payload is None:
            logger.error("capture spool: corrupt record in %s at bytes %d-%d skipped", segment.name, start, end)
            result.skipped += 1
        else:
            try:
                write(payload)
                result.batches += 1
            except Exception as error:
                if is_retryable(error):
                    return False
                logger.exception("capture spool: batch in %s at byte %d cannot be written, skipped", segment.name, start)
                result.skipped += 1
        _offset_write(segment, end)
        start = end
    segment.unlink()
    _offset_path(segment).unlink(missing_ok=True)
    _fsync_dir(segment.parent)
    return True
