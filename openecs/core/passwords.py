"""Instance passwords are kept only as a salted hash, and never answered.

PBKDF2-SHA256 from the standard library: a password given to RunInstances or
to a Huawei server creation cannot be read back from the store. The iteration
count keeps a hash to a few milliseconds, since a control plane that tests call
thousands of times must not spend a tenth of a second per request on it.
"""

from __future__ import annotations

import hashlib
import hmac
import os

ITERATIONS = 60_000


def hash_password(password: str) -> str:
    """``pbkdf2_sha256$<iterations>$<salt hex>$<digest hex>``."""
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    return f"pbkdf2_sha256${ITERATIONS}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from."""
    scheme, iterations, salt, digest = stored.split("$")
    if scheme != "pbkdf2_sha256":
        return False
    candidate = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), bytes.fromhex(salt), int(iterations)
    )
    return hmac.compare_digest(candidate.hex(), digest)
