"""Passwords are stored as salted hashes that only the password itself matches."""

from openecs.core.passwords import hash_password, password_matches


def test_a_hash_does_not_contain_the_password() -> None:
    assert "Secret#123" not in hash_password("Secret#123")


def test_the_same_password_hashes_differently_each_time() -> None:
    assert hash_password("Secret#123") != hash_password("Secret#123")


def test_only_the_password_matches_its_hash() -> None:
    stored = hash_password("Secret#123")
    assert password_matches("Secret#123", stored)
    assert not password_matches("Secret#124", stored)
