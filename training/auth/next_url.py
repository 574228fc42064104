"""Where a sign-in may send the browser next: only a path on this site.

Browsers are lenient with URLs (the WHATWG URL standard): they drop tabs and newlines
anywhere, trim control characters and spaces, read a backslash as a slash, and a path that
starts with two slashes names another host. A check on the raw text that a browser then
reads differently is an open redirect (``/\t/evil.example/`` passed the old check and left as
``//evil.example/``). So anything a browser would rewrite is refused outright, and the path
must still be a plain same-site path once percent-decoded.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

# Printable ASCII without the space: everything else (controls, tabs, CR/LF, DEL, spaces,
# non-ASCII) is percent-encoded in a URL this site makes, so seeing it raw means tampering.
_ALLOWED = frozenset(chr(code) for code in range(0x21, 0x7F))


def _plain_path(path: str) -> bool:
    """True for ``/something`` that cannot be read as ``//host`` or ``/\\host``."""
    return path.startswith("/") and not path.startswith(("//", "/\\")) and "\\" not in path


def safe_next_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site a browser reads as written, else None."""
    if not target or len(target) > 2000 or not set(target) <= _ALLOWED:
        return None
    if not _plain_path(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    decoded = target
    for _ in range(3):  # encoded slashes, even double-encoded ones
        decoded = unquote(decoded)
        if not _plain_path(decoded) or any(ord(char) < 0x20 or ord(char) == 0x7F for char in decoded):
            return None
    return target
