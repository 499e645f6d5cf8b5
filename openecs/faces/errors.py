"""The error a face answers with: an HTTP status and a vendor code, rendered by that face."""

from __future__ import annotations


class VendorError(Exception):
    """A refusal already in the vendor's words: status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
