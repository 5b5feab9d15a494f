"""A data file as numbered lines of text, with nothing misread silently.

Compression (gzip, bzip2, xz) is found by the first bytes, the encoding by a byte-order mark
(UTF-8 without one), lines end with LF, CRLF or CR alike. Bytes that do not decode are an error
naming the line and column; a byte-order mark after the start of the file is dropped, and an
invisible character (a zero-width space, a soft hyphen, a direction mark) is kept, each with a
warning naming its first place and how many the file holds; control characters are an error or,
as ``data.control_characters`` says, dropped or replaced and counted. Plain Python (no
``datasets`` or torch), so the config check may use it before those load.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import logging
import lzma
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, cast

from seqlab.errors import ConfigError, ReaderError

log = logging.getLogger(__name__)

#: What to do with a control character in text: stop at it, drop it, or put U+FFFD in its place.
ControlPolicy = Literal["error", "drop", "replace"]
CONTROL_POLICIES: tuple[str, ...] = ("error", "drop", "replace")
#: The key that sets the policy, named in errors and warnings.
CONTROL_KEY = "data.control_characters"

#: Compressed formats read transparently, by their first bytes (whatever the file is called).
_COMPRESSION: dict[bytes, tuple[str, Callable[[Path], io.BufferedIOBase]]] = {
    b"\x1f\x8b": ("gzip", lambda path: gzip.open(path, "rb")),
    b"BZh": ("bzip2", lambda path: bz2.open(path, "rb")),
    b"\xfd7zXZ\x00": ("xz", lambda path: lzma.open(path, "rb")),
}
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz")

#: Byte-order marks (UTF-32 before UTF-16, whose little-endian mark starts UTF-32's), the codec
#: that reads past them, and the encoding's name.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32-LE"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32-BE"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16-LE"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16-BE"),
)

#: Control characters that text never holds (tab, line feed and carriage return are fine).
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
#: Characters that show nothing (zero-width, soft hyphen, direction marks and overrides).
_INVISIBLE = "\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
_BOM = "\ufeff"
#: Bytes that are not UTF-8, as ``surrogateescape`` decodes them.
_UNDECODABLE = re.compile("[\udc80-\udcff]+")
#: Anything a line or field is looked at twice for (most lines hold none of it).
_SUSPECT = re.compile(f"[{_CONTROL}{_INVISIBLE}{_BOM}\udc80-\udcff]")
_CONTROL_CHAR = re.compile(f"[{_CONTROL}]")
_INVISIBLE_OR_BOM = re.compile(f"[{_INVISIBLE}{_BOM}]")


def open_binary(path: Path) -> tuple[io.BufferedIOBase, str | None]:
    """``path`` opened for reading bytes, decompressed if it is gzip, bzip2 or xz; and that name."""
    with path.open("rb") as handle:
        head = handle.read(6)
    for magic, (name, opener) in _COMPRESSION.items():
        if head.startswith(magic):
            return opener(path), name
    return path.open("rb"), None


def sniff_encoding(path: Path) -> tuple[str, str]:
    """``(codec, name)`` of ``path``'s text (decompressed): by its byte-order mark, else UTF-8.

    Raises:
        ReaderError: at line 1 for text that looks like UTF-16 without a mark (every other byte 0).
    """
    handle, _ = open_binary(path)
    with handle:
        try:
            head = handle.read(4)
        except (OSError, EOFError, lzma.LZMAError):
            return "utf-8-sig", "UTF-8"  # the reading itself says the data is corrupt, at its line
    for mark, codec, name in _BOMS:
        if head.startswith(mark):
            return codec, name
    if len(head) == 4 and head[0] and head[2] and not head[1] and not head[3]:
        guess = "UTF-16-LE"
    elif len(head) == 4 and head[1] and head[3] and not head[0] and not head[2]:
        guess = "UTF-16-BE"
    else:
        return "utf-8-sig", "UTF-8"
    raise ReaderError(
        path,
        1,
        f"looks like {guess} without a byte-order mark (every other byte is 0); expected UTF-8, or UTF-16 "
        f"with a byte-order mark: convert it, e.g. iconv -f {guess[:-3]}{guess[-2:]} -t UTF-8",
    )


@dataclass
class _Seen:
    """The first place a kind of character was met, and how many of it."""

    line: int
    column: int
    field: str | None
    count: int = 0


class LineChecks:
    """What a file's text held that it should not: control characters handled by ``control``,
    byte-order marks dropped, invisible characters kept; each kind counted and told once by
    :meth:`report`, naming its first place.

    Args:
        path: the file, for messages.
        control: ``error`` (a :class:`ReaderError` at the character), ``drop`` or ``replace``
            (by U+FFFD, as Python's ``errors="replace"`` does).
    """

    def __init__(self, path: str | Path, control: str = "error") -> None:
        self.path = str(path)
        self.control = check_control_policy(control)
        self._seen: dict[tuple[str, str], _Seen] = {}
        #: The file's encoding, as :func:`decoded_lines` found it.
        self.encoding = "UTF-8"

    def clean(self, line: int, text: str, field: str | None = None) -> str:
        """``text`` (a whole line, or the value of ``field`` on ``line``) with byte-order marks
        dropped and control characters handled; invisible characters are noted and kept."""
        if not _SUSPECT.search(text):
            return text
        found = _CONTROL_CHAR.search(text)
        if found and self.control == "error":
            where = f"character {found.start() + 1} of field {field!r}" if field else f"column {found.start() + 1}"
            raise ReaderError(
                self.path,
                line,
                f"control character {found.group()!r} at {where}; expected text "
                f"(set {CONTROL_KEY}=drop or =replace to read past such characters)",
            )
        for match in _INVISIBLE_OR_BOM.finditer(text):
            self._note("bom" if match.group() == _BOM else "invisible", match.group(), line, match.start(), field)
        if found:
            for match in _CONTROL_CHAR.finditer(text):
                self._note("control", match.group(), line, match.start(), field)
            text = _CONTROL_CHAR.sub("" if self.control == "drop" else "\ufffd", text)
        return text.replace(_BOM, "")

    def _note(self, kind: str, char: str, line: int, start: int, field: str | None) -> None:
        seen = self._seen.setdefault((kind, char), _Seen(line, start + 1, field))
        seen.count += 1

    def report(self) -> None:
        """Log one warning per kind of character met (its first place and count), and the encoding
        when it is not UTF-8."""
        if self.encoding != "UTF-8":
            log.info("%s: read as %s (by its byte-order mark)", self.path, self.encoding)
        for (kind, char), seen in self._seen.items():
            if seen.field:
                place = f"{self.path}:{seen.line}: (field {seen.field!r}, character {seen.column})"
            else:
                place = f"{self.path}:{seen.line}:{seen.column}:"
            many = f"{seen.count} in the file, the first here" if seen.count > 1 else "the only one in the file"
            if kind == "control":
                done = "dropped" if self.control == "drop" else "replaced by U+FFFD"
                log.warning(
                    "%s control character %r %s (%s=%s; %s)", place, char, done, CONTROL_KEY, self.control, many
                )
            elif kind == "bom":
                log.warning(
                    "%s byte-order mark (U+FEFF) after the start of the file, dropped (%s; files joined together?)",
                    place,
                    many,
                )
            else:
                name = unicodedata.name(char, "an invisible character")
                log.warning(
                    "%s invisible character U+%04X (%s) kept (%s); a word holding it differs from the same word "
                    "without it",
                    place,
                    ord(char),
                    name,
                    many,
                )


def check_control_policy(control: str) -> str:
    """``control`` if it is a policy for control characters, else a :class:`ConfigError` naming the key."""
    if control not in CONTROL_POLICIES:
        raise ConfigError(f"{CONTROL_KEY}: expected one of {', '.join(CONTROL_POLICIES)}, got {control!r}")
    return control


def decoded_lines(path: Path, checks: LineChecks | None = None, clean: bool = True) -> Iterator[tuple[int, str]]:
    """Each line of ``path`` (decompressed, decoded) with its ending, numbered from 1.

    Lines end at LF, CRLF or CR. Bytes that do not decode are a :class:`ReaderError` naming the
    line and column; with ``clean``, each line goes through ``checks`` (default: control
    characters are an error), whose :meth:`LineChecks.report` the caller calls at the end.
    """
    checks = checks if checks is not None else LineChecks(path)
    codec, name = sniff_encoding(path)
    checks.encoding = name
    handle, compression = open_binary(path)
    errors = "surrogateescape" if codec == "utf-8-sig" else "strict"
    number = 0
    with io.TextIOWrapper(cast(BinaryIO, handle), encoding=codec, errors=errors, newline="") as text:
        try:
            for number, line in enumerate(text, start=1):
                if _SUSPECT.search(line):
                    bad = _UNDECODABLE.search(line)
                    if bad:
                        raw = bad.group().encode("utf-8", "surrogateescape")
                        raise ReaderError(
                            path, number, f"bytes {raw!r} at column {bad.start() + 1} are not valid UTF-8"
                        )
                    if clean:
                        line = checks.clean(number, line)
                yield number, line
        except UnicodeDecodeError as err:  # only the BOM-named codecs are strict
            raise ReaderError(
                path,
                number + 1,
                f"bytes {err.object[err.start : err.end]!r} are not valid {name} (on this line or soon after)",
            ) from None
        except (OSError, EOFError, lzma.LZMAError) as err:
            if compression is None:
                raise
            raise ReaderError(path, number + 1, f"the {compression} data is corrupt or cut short ({err})") from None
