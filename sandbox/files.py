"""Uploaded files: what kind of file the bytes are, and the file object Slack returns for one."""

from __future__ import annotations

import mimetypes
import sqlite3
import struct
from typing import Any

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def sniff_mimetype(content: bytes, name: str) -> str:
    """The file's type from its first bytes (PNG, JPEG, GIF), else from its name."""
    if content.startswith(PNG_SIGNATURE):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def png_size(content: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG (its IHDR chunk), or None for anything else."""
    if not content.startswith(PNG_SIGNATURE) or len(content) < 24:
        return None
    width, height = struct.unpack(">II", content[16:24])
    return int(width), int(height)


def file_object(row: sqlite3.Row, base_url: str, user: str) -> dict[str, Any]:
    """A file in the shape of ``files.info`` / ``files.completeUploadExternal``."""
    name = row["name"]
    mimetype = row["mimetype"] or "application/octet-stream"
    url = f"{base_url}/files/{row['id']}/{name}"
    found: dict[str, Any] = {
        "id": row["id"],
        "created": row["created"],
        "timestamp": row["created"],
        "name": name,
        "title": row["title"],
        "mimetype": mimetype,
        "filetype": name.rsplit(".", 1)[-1].lower() if "." in name else "binary",
        "pretty_type": mimetype.split("/")[-1].upper(),
        "user": user,
        "mode": "hosted",
        "is_external": False,
        "is_public": True,
        "size": row["length"],
        "url_private": url,
        "url_private_download": url + "?download=1",
        "permalink": url,
    }
    if row["alt_txt"]:
        found["alt_txt"] = row["alt_txt"]
    size = png_size(row["content"] or b"")
    if size is not None:
        found.update(original_w=size[0], original_h=size[1], thumb_360=url)
    return found
