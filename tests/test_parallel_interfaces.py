"""Elastic network interfaces under contention, end to end through the official Tea SDK.

Sixteen clients (threads, each with its own Tea ECS client) create
interfaces with a secondary address each in one /27 vSwitch until it refuses.
Whatever the interleaving: no address and no MAC is handed out twice, every
refusal is the vendor's InvalidVSwitchId.IpNotEnough (403), and the vSwitch's
AvailableIpAddressCount is exactly its usable addresses less those held.
And eight clients attaching at once to one instance never pass its type's
EniQuantity: a loser is refused, never let through. And eight clients assigning IPv6
addresses and prefixes to interfaces of one vSwitch's /64 never get one twice. Run on
both stores.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException

from tests import clients
from tests.test_aliyun_network_interfaces import REGION, _vswitch, free, listed
from tests.test_aliyun_network_interfaces import net as net  # noqa: F401 - the fixture

CLIENTS = 16
USABLE = 28  # a /27 less the first address and the last three
EXHAUSTED = ("InvalidVSwitchId.IpNotEnough", 403)


def fill(ecs, vsw: str, sg: str) -> tuple[list[tuple[str, list[str]]], list[tuple[str, int]]]:  # noqa: ANN001
    """Create interfaces until the vSwitch refuses: (MAC, addresses) of each, and the refusal."""
    got = []
    request = m.CreateNetworkInterfaceRequest(
        region_id=REGION,
        v_switch_id=vsw,
        security_group_id=sg,
        secondary_private_ip_address_count=1,
    )
    while True:
        try:
            body = ecs.create_network_interface(request).body
        except ClientException as err:
            return got, [(err.code, err.status_code)]
        got.append(
            (body.mac_address, [i.private_ip_address for i in body.private_ip_sets.private_ip_set])
        )


def test_parallel_creations_never_share_an_address_or_a_mac(server, net):
    vsw = _vswitch(net, "10.0.3.0/27", server)
    ecs_clients = [clients.tea_ecs(net["tenant"]) for _ in range(CLIENTS)]
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(lambda ecs: fill(ecs, vsw, net["sg"]), ecs_clients))
    for _, refusals in results:
        assert refusals == [EXHAUSTED]
    made = [item for got, _ in results for item in got]
    macs = [mac for mac, _ in made]
    addresses = [a for _, ips in made for a in ips]
    assert len(macs) == len(set(macs))
    assert len(addresses) == len(set(addresses)) == 2 * len(made)
    assert free(net, vsw) == USABLE - len(addresses)
    # A race lost on the last two addresses may leave them free: one more client takes them all.
    more, refusal = fill(ecs_clients[0], vsw, net["sg"])
    assert refusal == [EXHAUSTED]
    everything = addresses + [a for _, ips in more for a in ips]
    assert len(everything) == len(set(everything)) == USABLE and free(net, vsw) == 0
    assert len(listed(net, vsw)) == len(made) + len(more)


def test_parallel_attaches_never_pass_the_instance_eni_quantity(server, net):
    from tests.test_aliyun_network_interface_lifecycle import attach, describe, run

    iid = run(net, server)  # ecs.g7.large: EniQuantity 3, the primary interface included
    enis = [
        net["ecs"]
        .create_network_interface(
            m.CreateNetworkInterfaceRequest(
                region_id=REGION, v_switch_id=net["vsw"], security_group_id=net["sg"]
            )
        )
        .body.network_interface_id
        for _ in range(8)
    ]
    ecs_clients = [clients.tea_ecs(net["tenant"]) for _ in enis]

    def try_attach(pair: tuple) -> str:
        ecs, eni = pair
        try:
            attach({**net, "ecs": ecs}, eni, iid)
            return "ok"
        except ClientException as err:
            return err.code

    with ThreadPoolExecutor(len(enis)) as pool:
        outcomes = list(pool.map(try_attach, zip(ecs_clients, enis, strict=True)))
    assert 1 <= outcomes.count("ok") <= 2
    assert set(outcomes) - {"ok"} <= {"EniPerInstanceLimitExceeded", "IncorrectInstanceStatus"}
    assert len(describe(net, instance_id=iid)) == 1 + outcomes.count("ok") <= 3


def test_parallel_ipv6_assignments_in_one_vswitch_never_share_an_address(server, tenant):
    """Eight clients assigning IPv6 counts to their own interfaces of one /64 at once."""
    from tests.test_aliyun_ipv6 import assign, create, eni_attr, ipv6_network, v6, v6_prefixes

    net6 = ipv6_network(server, tenant)
    enis = [create(net6).network_interface_id for _ in range(8)]

    def work(eni: str) -> None:
        ecs = clients.tea_ecs(net6["tenant"])
        mine = {**net6, "ecs": ecs}
        for _ in range(3):
            assign(mine, eni, ipv_6address_count=3)
            assign(mine, eni, ipv_6prefix_count=1)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, enis))
    shown = [eni_attr(net6, e) for e in enis]
    addresses = [a for s in shown for a in v6(s)]
    prefixes = [p for s in shown for p in v6_prefixes(s)]
    assert len(addresses) == len(set(addresses)) == 8 * 9
    assert len(prefixes) == len(set(prefixes)) == 8 * 3
