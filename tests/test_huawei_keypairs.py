"""Huawei ECS native OpenStack key pairs (os-keypairs) through huaweicloudsdkecs, on both stores.

Create answers a private key that loads and matches the public key and its
fingerprint; import fingerprints as ``ssh-keygen -E md5`` does; list, show
and delete answer Nova's shapes; refusals are Nova faults with their status;
another tenant sees nothing.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkecs.v2 import (
    NovaCreateKeypairOption,
    NovaCreateKeypairRequest,
    NovaCreateKeypairRequestBody,
    NovaDeleteKeypairRequest,
    NovaListKeypairsRequest,
    NovaShowKeypairRequest,
)

from tests import clients


def openssh(private_key) -> str:  # noqa: ANN001
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


def md5_fingerprint(public_key: str) -> str:
    digest = hashlib.md5(base64.b64decode(public_key.split()[1])).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def _create(ecs, name: str, **kw):  # noqa: ANN001, ANN202
    option = NovaCreateKeypairOption(name=name, **kw)
    body = NovaCreateKeypairRequestBody(keypair=option)
    return ecs.nova_create_keypair(NovaCreateKeypairRequest(body=body)).keypair


def _names(ecs, **kw) -> list[str]:  # noqa: ANN001
    return [k.keypair.name for k in ecs.nova_list_keypairs(NovaListKeypairsRequest(**kw)).keypairs]


def _refused(call) -> ClientRequestException:  # noqa: ANN001
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value


@pytest.fixture
def ecs(tenant):  # noqa: ANN001, ANN201
    return clients.hw_ecs(tenant)


def test_create_answers_a_private_key_matching_the_public_key(ecs):
    pair = _create(ecs, "web-key")
    private = serialization.load_pem_private_key(pair.private_key.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == 2048
    assert pair.public_key == openssh(private) + " Generated-by-Nova"
    assert pair.fingerprint == md5_fingerprint(pair.public_key)
    assert (pair.name, pair.type) == ("web-key", "ssh") and pair.user_id


def test_show_answers_the_detail_without_the_private_key(ecs):
    created = _create(ecs, "web-key")
    shown = ecs.nova_show_keypair(NovaShowKeypairRequest(keypair_name="web-key")).keypair
    assert (shown.name, shown.public_key, shown.fingerprint) == (
        "web-key",
        created.public_key,
        created.fingerprint,
    )
    assert shown.deleted is False and isinstance(shown.id, int) and shown.created_at is not None
    assert not hasattr(shown, "private_key")


@pytest.mark.parametrize(
    "private",
    [
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ed25519.Ed25519PrivateKey.generate(),
        ec.generate_private_key(ec.SECP521R1()),
    ],
    ids=["rsa", "ed25519", "ecdsa-p521"],
)
def test_import_fingerprints_as_ssh_keygen_and_answers_no_private_key(ecs, private):
    public = openssh(private) + " me@laptop"
    pair = _create(ecs, "laptop", public_key=public)
    assert (pair.public_key, pair.fingerprint) == (public, md5_fingerprint(public))
    assert pair.private_key is None


def test_list_wraps_each_key_pair_and_pages_by_marker(ecs):
    for name in ("k1", "k2", "k3"):
        _create(ecs, name)
    listed = ecs.nova_list_keypairs(NovaListKeypairsRequest()).keypairs
    assert [k.keypair.name for k in listed] == ["k1", "k2", "k3"]
    assert listed[0].keypair.fingerprint and listed[0].keypair.type == "ssh"
    assert _names(ecs, limit=2) == ["k1", "k2"]
    assert _names(ecs, limit=2, marker="k2") == ["k3"]


def test_delete_answers_204_and_forgets_the_key_pair(ecs):
    _create(ecs, "web-key")
    response = ecs.nova_delete_keypair(NovaDeleteKeypairRequest(keypair_name="web-key"))
    assert response.status_code == 204
    assert _names(ecs) == []


def test_a_duplicate_name_is_a_409_conflict(ecs):
    _create(ecs, "web-key")
    err = _refused(lambda: _create(ecs, "web-key"))
    assert (err.status_code, err.error_code) == (409, 409)
    assert "already exists" in err.error_msg


@pytest.mark.parametrize("call", ["show", "delete"])
def test_an_unknown_name_is_a_404(ecs, call):
    request = (
        (lambda: ecs.nova_show_keypair(NovaShowKeypairRequest(keypair_name="nope")))
        if call == "show"
        else (lambda: ecs.nova_delete_keypair(NovaDeleteKeypairRequest(keypair_name="nope")))
    )
    err = _refused(request)
    assert (err.status_code, err.error_code) == (404, 404)


@pytest.mark.parametrize(
    "kw",
    [
        dict(name="has space"),
        dict(name="k" * 65),
        dict(name="key.name"),
        dict(name="web-key", public_key="ssh-rsa not-a-key"),
        dict(name="web-key", public_key="ssh-dss AAAAB3NzaC1kc3MAAACBAP"),
        dict(name="web-key", type="x509"),
        dict(name="web-key", type="pgp"),
        dict(name="web-key", user_id="someone-else"),
    ],
    ids=["space", "too-long", "dot", "bad-key", "dsa", "x509", "unknown-type", "user-id"],
)
def test_a_malformed_request_is_a_400_and_nothing_is_stored(ecs, kw):
    err = _refused(lambda: _create(ecs, **kw))
    assert (err.status_code, err.error_code) == (400, 400)
    assert _names(ecs) == []


def test_an_unknown_marker_is_a_400(ecs):
    err = _refused(lambda: _names(ecs, marker="nope"))
    assert (err.status_code, err.error_code) == (400, 400)


def test_another_tenant_cannot_see_or_delete_the_key_pair(server, ecs):
    _create(ecs, "web-key")
    stranger = clients.hw_ecs(server.new_tenant())
    assert _names(stranger) == []
    err = _refused(
        lambda: stranger.nova_delete_keypair(NovaDeleteKeypairRequest(keypair_name="web-key"))
    )
    assert err.status_code == 404
    assert _names(ecs) == ["web-key"]
    _create(stranger, "web-key")  # names are unique per project only
