"""Identifier formats: Alibaba's prefix, region code and base-36 body."""

from __future__ import annotations

import re

from openecs.core.ids import aliyun_id


def test_an_alibaba_id_is_prefix_region_code_and_18_base36_characters() -> None:
    assert re.fullmatch(r"i-bp[0-9a-z]{18}", aliyun_id("i", "cn-hangzhou"))


def test_ten_thousand_alibaba_ids_are_distinct() -> None:
    ids = {aliyun_id("eni", "cn-hangzhou") for _ in range(10_000)}
    assert len(ids) == 10_000


def test_every_base36_character_turns_up_in_every_position() -> None:
    bodies = [aliyun_id("i", "cn-hangzhou")[4:] for _ in range(3_000)]
    for position in range(18):
        assert len({b[position] for b in bodies}) == 36
