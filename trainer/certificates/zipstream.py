"""A ZIP archive written as a stream of byte chunks, for downloads of any size with flat memory.

The standard zipfile module writes into a sink that only collects what it is given; after each member the
collected bytes are handed on and forgotten. The sink cannot seek, so zipfile puts each member's sizes in a data
descriptor after it, as the ZIP format allows for streamed archives; ZIP64 records are added when the archive
passes 4 GB. Members are STORED: PDFs are compressed inside already, and deflating them again would cost CPU for
nothing.
"""
import zipfile


class _Sink:
    """A write-only file object that keeps what zipfile writes until it is taken."""

    def __init__(self):
        self._parts = []

    def write(self, data):
        self._parts.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        """Everything written since the last call, as one chunk."""
        if not self._parts:
            return b""
        chunk = self._parts[0] if len(self._parts) == 1 else b"".join(self._parts)
        self._parts = []
        return chunk


def zip_chunks(members):
    """Yield the bytes of a ZIP archive holding `members`: an iterable of (name, data, date) where `date` is a
    datetime.date or datetime.datetime (ZIP stores local time, to the even second) and `data` is bytes.

    Each member is held in memory only while it is written: one chunk is yielded per member, then the central
    directory at the end.
    """
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, data, date in members:
            info = zipfile.ZipInfo(name, date_time=_zip_time(date))
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16  # a plain readable file once extracted
            archive.writestr(info, data)
            yield sink.take()
    yield sink.take()


def _zip_time(date):
    parts = tuple(date.timetuple())[:6]
    return max(parts, (1980, 1, 1, 0, 0, 0))  # the format cannot hold dates before 1980
