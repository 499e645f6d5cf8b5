"""ECS 2014-05-26 key pairs through the official Tea and legacy SDKs, on both stores.

Create answers a private key that loads and matches the stored public key and
its fingerprint; import checks the public key and fingerprints it as
``ssh-keygen -E md5`` does; describe filters by wildcard name, fingerprint and
tag and pages; delete takes the vendor's JSON-string list (also through the
legacy SDK); each refusal answers the vendor's code and status; another
tenant sees nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkecs.request.v20140526.DeleteKeyPairsRequest import DeleteKeyPairsRequest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tests import clients

REGION = "cn-hangzhou"


def openssh(private_key) -> str:  # noqa: ANN001
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


def md5_fingerprint(public_key: str) -> str:
    digest = hashlib.md5(base64.b64decode(public_key.split()[1])).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def _refused(call) -> ClientException:  # noqa: ANN001
    with pytest.raises(ClientException) as info:
        call()
    return info.value


def _create(ecs, name: str, **kw):  # noqa: ANN001, ANN202
    return ecs.create_key_pair(
        m.CreateKeyPairRequest(region_id=REGION, key_pair_name=name, **kw)
    ).body


def _import(ecs, name: str, public_key: str, **kw):  # noqa: ANN001, ANN202
    return ecs.import_key_pair(
        m.ImportKeyPairRequest(
            region_id=REGION, key_pair_name=name, public_key_body=public_key, **kw
        )
    ).body


def _describe(ecs, **kw):  # noqa: ANN001, ANN202
    return ecs.describe_key_pairs(m.DescribeKeyPairsRequest(region_id=REGION, **kw)).body


def _names(ecs, **kw) -> list[str]:  # noqa: ANN001
    return [k.key_pair_name for k in _describe(ecs, **kw).key_pairs.key_pair]


@pytest.fixture
def ecs(tenant):  # noqa: ANN001, ANN201
    return clients.tea_ecs(tenant)


def test_create_answers_a_private_key_matching_the_stored_public_key(ecs):
    body = _create(ecs, "web-key")
    assert body.key_pair_name == "web-key"
    assert body.key_pair_id.startswith("skp-bp") and len(body.key_pair_id) == 22
    assert body.private_key_body.startswith("-----BEGIN RSA PRIVATE KEY-----")
    private = serialization.load_pem_private_key(body.private_key_body.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == 2048
    assert body.key_pair_finger_print == md5_fingerprint(openssh(private))
    (listed,) = _describe(ecs, include_public_key=True).key_pairs.key_pair
    assert listed.public_key == openssh(private)
    assert listed.key_pair_finger_print == body.key_pair_finger_print
    assert listed.resource_group_id.startswith("rg-")
    assert len(listed.creation_time) == len("2023-09-04T08:33Z")


def test_describe_omits_the_public_key_unless_asked(ecs):
    _create(ecs, "web-key")
    (listed,) = _describe(ecs).key_pairs.key_pair
    assert listed.public_key is None


@pytest.mark.parametrize(
    "private",
    [
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ed25519.Ed25519PrivateKey.generate(),
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP384R1()),
    ],
    ids=["rsa", "ed25519", "ecdsa-p256", "ecdsa-p384"],
)
def test_import_fingerprints_each_key_type_as_ssh_keygen(ecs, private):
    public = openssh(private) + " someone@example"
    body = _import(ecs, "laptop", public)
    assert body.key_pair_name == "laptop"
    assert body.key_pair_finger_print == md5_fingerprint(public)
    assert _describe(ecs, include_public_key=True).key_pairs.key_pair[0].public_key == public


def test_describe_filters_by_wildcard_name_fingerprint_and_tag(ecs):
    _create(ecs, "SshKey")
    _create(ecs, "mySshKey", tag=[m.CreateKeyPairRequestTag(key="env", value="prod")])
    other = _create(ecs, "other")
    assert _names(ecs, key_pair_name="SshKey") == ["SshKey"]
    assert _names(ecs, key_pair_name="*SshKey") == ["SshKey", "mySshKey"]
    assert _names(ecs, key_pair_name="my*") == ["mySshKey"]
    assert _names(ecs, key_pair_name="*sh*") == ["SshKey", "mySshKey"]
    assert _names(ecs, key_pair_finger_print=other.key_pair_finger_print) == ["other"]
    assert _names(ecs, tag=[m.DescribeKeyPairsRequestTag(key="env")]) == ["mySshKey"]
    tags = _describe(ecs, key_pair_name="mySshKey").key_pairs.key_pair[0].tags.tag
    assert [(t.tag_key, t.tag_value) for t in tags] == [("env", "prod")]


def test_describe_pages_by_number(ecs):
    for name in ("k1", "k2", "k3"):
        _create(ecs, name)
    body = _describe(ecs, page_size=2, page_number=2)
    assert (body.total_count, body.page_number, body.page_size) == (3, 2, 2)
    assert [k.key_pair_name for k in body.key_pairs.key_pair] == ["k3"]


def test_delete_takes_a_json_list_and_ignores_unknown_names(ecs):
    for name in ("k1", "k2", "k3"):
        _create(ecs, name, tag=[m.CreateKeyPairRequestTag(key="a", value="b")])
    ecs.delete_key_pairs(
        m.DeleteKeyPairsRequest(region_id=REGION, key_pair_names=json.dumps(["k1", "k3", "nope"]))
    )
    assert _names(ecs) == ["k2"]


def test_legacy_sdk_deletes_with_the_json_string_parameter(tenant, ecs):
    _create(ecs, "k1")
    _create(ecs, "k2")
    request = DeleteKeyPairsRequest()
    request.set_KeyPairNames('["k1"]')
    clients.legacy(tenant).do_action_with_exception(request)
    assert _names(ecs) == ["k2"]


def test_legacy_sdk_refuses_a_names_value_that_is_not_json(tenant):
    request = DeleteKeyPairsRequest()
    request.set_KeyPairNames("k1")
    with pytest.raises(ServerException) as info:
        clients.legacy(tenant).do_action_with_exception(request)
    assert (info.value.get_error_code(), info.value.get_http_status()) == (
        "InvalidKeyPairNames.ValueNotSupported",
        400,
    )


def test_a_duplicate_name_is_refused_on_create_and_import(ecs):
    _create(ecs, "web-key")
    err = _refused(lambda: _create(ecs, "web-key"))
    assert (err.code, err.status_code) == ("KeyPair.AlreadyExist", 400)
    public = openssh(ed25519.Ed25519PrivateKey.generate())
    err = _refused(lambda: _import(ecs, "web-key", public))
    assert (err.code, err.status_code) == ("KeyPair.AlreadyExist", 400)


@pytest.mark.parametrize(
    "name", ["a", "1key", "-key", "key.name", "key name", "k" * 129, "http://x"]
)
def test_a_malformed_name_is_refused(ecs, name):
    err = _refused(lambda: _create(ecs, name))
    assert (err.code, err.status_code) == ("InvalidKeyPairName.Malformed", 400)


@pytest.mark.parametrize(
    "public_key",
    [
        "not a key",
        "ssh-rsa",
        "ssh-rsa !!!notbase64!!!",
        "ssh-dss AAAAB3NzaC1kc3MAAACBAP",
        "ssh-rsa " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519" + b"x" * 32).decode(),
        "ssh-rsa " + base64.b64encode(b"\x00\x00\x00\x07ssh-rsa" + b"garbage").decode(),
    ],
    ids=["words", "no-blob", "not-base64", "dsa", "type-mismatch", "bad-key-data"],
)
def test_a_malformed_public_key_is_refused_and_nothing_is_stored(ecs, public_key):
    err = _refused(lambda: _import(ecs, "laptop", public_key))
    assert (err.code, err.status_code) == ("InvalidPublicKeyBody.Malformed", 400)
    assert _describe(ecs).total_count == 0


def test_a_missing_public_key_is_refused(ecs):
    err = _refused(lambda: _import(ecs, "laptop", None))
    assert (err.code, err.status_code) == ("MissingParameter", 400)


def test_the_501st_key_pair_is_refused(server, tenant, ecs):
    from openecs.core import keypairs
    from openecs.core.network import Scope

    public = openssh(ed25519.Ed25519PrivateKey.generate())
    with server.runtime.db.write() as conn:
        for n in range(500):
            keypairs.import_(
                conn,
                Scope("aliyun", tenant.account.id, REGION),
                key_id=f"skp-test{n}",
                name=f"k{n}",
                public_key=public,
                now=0.0,
            )
    err = _refused(lambda: _create(ecs, "one-more"))
    assert (err.code, err.status_code) == ("QuotaExceed.KeyPair", 403)


@pytest.mark.parametrize(
    ("names", "code", "status"),
    [
        (None, "MissingParameter", 400),
        ("[]", "InvalidKeyPairNames.ValueNotSupported", 400),
        ("[1]", "InvalidKeyPairNames.ValueNotSupported", 400),
        ('["k1"', "InvalidKeyPairNames.ValueNotSupported", 400),
        (json.dumps([f"k{n}" for n in range(101)]), "InstanceKeyPairLimitExceeded", 403),
    ],
)
def test_delete_refuses_bad_name_lists(ecs, names, code, status):
    err = _refused(
        lambda: ecs.delete_key_pairs(
            m.DeleteKeyPairsRequest(region_id=REGION, key_pair_names=names)
        )
    )
    assert (err.code, err.status_code) == (code, status)


def test_describe_refuses_a_page_size_over_50(ecs):
    err = _refused(lambda: _describe(ecs, page_size=51))
    assert (err.code, err.status_code) == ("InvalidParam.PageSize", 400)


def test_too_many_tags_are_refused(ecs):
    tags = [m.CreateKeyPairRequestTag(key=f"k{n}", value="v") for n in range(21)]
    err = _refused(lambda: _create(ecs, "web-key", tag=tags))
    assert (err.code, err.status_code) == ("QuotaExceed.Tags", 403)
    assert _describe(ecs).total_count == 0


def test_another_tenant_cannot_see_or_delete_the_key_pair(server, ecs):
    _create(ecs, "web-key")
    stranger = clients.tea_ecs(server.new_tenant())
    assert _describe(stranger).total_count == 0
    stranger.delete_key_pairs(
        m.DeleteKeyPairsRequest(region_id=REGION, key_pair_names='["web-key"]')
    )
    assert _names(ecs) == ["web-key"]
    _create(stranger, "web-key")  # names are unique per account only
