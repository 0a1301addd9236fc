"""Small, valid, distinct image files for tests (no image library needed)."""

from __future__ import annotations

import posixpath
import struct
import zlib

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


def png(
    width: int = 4, height: int = 4, rgb: tuple[int, int, int] = (70, 130, 180), note: bytes = b""
) -> bytes:
    """A real PNG of one colour; `note` (a tEXt chunk) makes otherwise equal images distinct."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    text = chunk(b"tEXt", b"Comment\x00" + note) if note else b""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + text
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def fake_for(path: str, index: int = 0) -> bytes:
    """Bytes whose real type matches the file name's extension, distinct per path."""
    ext = posixpath.splitext(path)[1].lower()
    note = path.encode("utf-8")
    if ext in (".jpg", ".jpeg"):
        return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + note + b"\xff\xd9"
    if ext == ".gif":
        return b"GIF89a\x01\x00\x01\x00\x00\x00\x00;" + note
    if ext == ".webp":
        body = b"WEBPVP8 " + note
        return b"RIFF" + struct.pack("<I", len(body)) + body
    if ext == ".svg":
        return SVG + b"<!--" + note + b"-->"
    colour = ((index * 53) % 200 + 30, (index * 97) % 200 + 30, (index * 31) % 200 + 30)
    return png(64, 24, colour, note)


def no_files(path: str) -> bytes | None:
    """`read_file` for a repository without any file."""
    return None
