"""Typed domain errors raised by the core; each face maps them to its vendor's code and status.

A domain error names *what* went wrong in the core's own words (``reason``,
a dotted identifier such as ``"vswitch.ip_exhausted"``) plus the details a
face needs to word its message. The mapping to ``InvalidVSwitchId.IpNotEnough``
or ``VPC.0101`` lives in each face's error table, once.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the core refuses. ``reason`` is the key of the faces' error tables."""

    def __init__(self, reason: str, message: str = "", **details: Any) -> None:
        super().__init__(message or reason)
        self.reason = reason
        self.message = message or reason
        self.details = details

    def __repr__(self) -> str:
        return f"DomainError({self.reason!r}, {self.message!r})"


class NotFound(DomainError):
    """A resource the caller named does not exist in the caller's account."""


class Conflict(DomainError):
    """The request contradicts the current state (a state rule, a dependency, a duplicate)."""


class QuotaExceeded(DomainError):
    """A limit of the resource or the account is reached."""


class Invalid(DomainError):
    """A value is well-formed but not acceptable to the core (outside a CIDR, reserved, ...)."""
