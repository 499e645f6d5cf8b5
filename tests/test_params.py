"""The declaration layer's Checker: flattened Alibaba parameters rebuilt by their declared shape,
every declared limit enforced with the declared code, and nothing malformed ever escaping as
anything but a VendorError (the faces turn any other exception into a 500).
"""

from __future__ import annotations

import pytest

from openecs.faces.aliyun.errors import PARAM_DEFAULTS
from openecs.faces.errors import VendorError
from openecs.faces.params import (
    BOOLEAN,
    FLOAT,
    INTEGER,
    JSON,
    LIST,
    STRUCT,
    Checker,
    ErrorSpec,
    Exclusive,
    OneRequired,
    Param,
)

TAG = Param(
    "Tag",
    LIST,
    items=Param("item", STRUCT, fields=(Param("Key", required=True), Param("Value"))),
    max_items=3,
    too_many=ErrorSpec("InvalidTagCount", "at most {limit} tags"),
)
NETWORK_INTERFACE = Param(
    "NetworkInterface",
    LIST,
    items=Param(
        "item",
        STRUCT,
        fields=(Param("VSwitchId"), Param("SecurityGroupIds", LIST, items=Param("item"))),
    ),
)
EXCLUSIVE = ErrorSpec("InvalidParameter.Conflict", "{name} and {other} exclude each other")
ONE_OF = ErrorSpec("MissingParameter.OneOf", "give {name} or another")


def text(*params: Param, rules: tuple = ()) -> Checker:
    return Checker(params, rules, defaults=PARAM_DEFAULTS, mode="text")


def as_json(*params: Param, rules: tuple = ()) -> Checker:
    return Checker(params, rules, defaults=PARAM_DEFAULTS, mode="json")


def refused(fn, *args) -> VendorError:  # noqa: ANN001
    with pytest.raises(VendorError) as info:
        fn(*args)
    return info.value


# --------------------------------------------------------------------------- flattened shapes


def test_flattened_list_of_structs_is_rebuilt():
    got = text(TAG).check_flat({"Tag.1.Key": "env", "Tag.1.Value": "prod", "Tag.2.Key": "team"})
    assert got["Tag"] == [{"Key": "env", "Value": "prod"}, {"Key": "team"}]


def test_nested_flattened_list_inside_a_list_is_rebuilt():
    got = text(NETWORK_INTERFACE).check_flat(
        {
            "NetworkInterface.1.VSwitchId": "vsw-1",
            "NetworkInterface.1.SecurityGroupIds.2": "sg-b",
            "NetworkInterface.1.SecurityGroupIds.1": "sg-a",
        }
    )
    assert got["NetworkInterface"] == [{"VSwitchId": "vsw-1", "SecurityGroupIds": ["sg-a", "sg-b"]}]


def test_list_order_follows_the_index_not_the_position():
    ids = Param("InstanceId", LIST)
    got = text(ids).check_flat({"InstanceId.10": "c", "InstanceId.2": "b", "InstanceId.1": "a"})
    assert got["InstanceId"] == ["a", "b", "c"]


def test_list_index_that_is_not_a_positive_ascii_number_is_invalid():
    ids = Param("InstanceId", LIST)
    for key in (
        "InstanceId.0",
        "InstanceId.x",
        "InstanceId.²",
        "InstanceId.٣",
        "InstanceId." + "9" * 5000,
    ):
        assert refused(text(ids).check_flat, {key: "a"}).code == "InvalidParameter", key


def test_list_given_as_a_json_array_under_its_bare_name_is_accepted():
    got = text(Param("SecurityGroupIds", LIST)).check_flat({"SecurityGroupIds": '["sg-1","sg-2"]'})
    assert got["SecurityGroupIds"] == ["sg-1", "sg-2"]


def test_undeclared_parameters_are_ignored():
    assert text(Param("Name")).check_flat({"Name": "a", "Whatever.1.Deep": "x"}) == {"Name": "a"}


def test_required_field_of_a_list_item_is_missing_with_its_flattened_name():
    error = refused(text(TAG).check_flat, {"Tag.1.Value": "prod"})
    assert (error.code, error.status) == ("MissingParameter", 400)
    assert "Tag.1.Key" in error.message


def test_too_many_items_answers_the_declared_code_with_the_limit():
    flat = {f"Tag.{i}.Key": f"k{i}" for i in range(1, 5)}
    error = refused(text(TAG).check_flat, flat)
    assert (error.code, error.message) == ("InvalidTagCount", "at most 3 tags")


# --------------------------------------------------------------------------- scalar types


@pytest.mark.parametrize(
    "raw,value", [("true", True), ("True", True), ("FALSE", False), ("false", False)]
)
def test_booleans_are_read_in_any_case(raw, value):
    assert text(Param("DryRun", BOOLEAN)).check_flat({"DryRun": raw})["DryRun"] is value


@pytest.mark.parametrize("raw", ["yes", "1", "", "truth"])
def test_non_boolean_text_is_invalid(raw):
    assert (
        refused(text(Param("DryRun", BOOLEAN)).check_flat, {"DryRun": raw}).code
        == "InvalidParameter"
    )


@pytest.mark.parametrize("raw,value", [("42", 42), ("-3", -3), ("+7", 7), (" 8 ", 8)])
def test_integers_are_converted(raw, value):
    assert text(Param("Amount", INTEGER)).check_flat({"Amount": raw})["Amount"] == value


@pytest.mark.parametrize("raw", ["4.2", "", "1e3", "0x10", "1_000", "٣", "9" * 5000])
def test_non_integer_text_is_invalid(raw):
    assert (
        refused(text(Param("Amount", INTEGER)).check_flat, {"Amount": raw}).code
        == "InvalidParameter"
    )


@pytest.mark.parametrize("raw", [str(2**63), str(-(2**63) - 1)])
def test_integer_beyond_64_bits_is_invalid_without_a_declared_range(raw):
    assert (
        refused(text(Param("Amount", INTEGER)).check_flat, {"Amount": raw}).code
        == "InvalidParameter"
    )


@pytest.mark.parametrize("raw", ["nan", "inf", "-Infinity", "1e999", "1_0", "0x1p3"])
def test_non_finite_or_odd_float_text_is_invalid(raw):
    assert (
        refused(text(Param("Price", FLOAT)).check_flat, {"Price": raw}).code == "InvalidParameter"
    )


def test_float_text_is_converted():
    assert text(Param("Price", FLOAT)).check_flat({"Price": "0.25"})["Price"] == 0.25


# --------------------------------------------------------------------------- JSON-string parameters


def test_json_string_parameter_is_decoded_to_its_list():
    ids = Param("InstanceIds", JSON, items=Param("item"))
    got = text(ids).check_flat({"InstanceIds": '["i-1","i-2"]'})
    assert got["InstanceIds"] == ["i-1", "i-2"]


@pytest.mark.parametrize("raw", ["not json", "[1,2]", '{"a":"b"}', '"i-1"', "[NaN]"])
def test_json_string_parameter_that_is_not_a_list_of_strings_is_invalid(raw):
    ids = Param("InstanceIds", JSON, items=Param("item"))
    assert refused(text(ids).check_flat, {"InstanceIds": raw}).code == "InvalidParameter"


def test_json_string_parameter_checks_each_item_against_its_declaration():
    ids = Param("InstanceIds", JSON, items=Param("item", pattern=r"i-[a-z0-9]+"))
    error = refused(text(ids).check_flat, {"InstanceIds": '["i-1","bad id"]'})
    assert "InstanceIds.2" in error.message


def test_deeply_nested_json_is_invalid_not_a_crash():
    ids = Param("InstanceIds", JSON)
    for raw in ("[" * 100_000, "[" * 500 + "]" * 500):
        assert refused(text(ids).check_flat, {"InstanceIds": raw}).code == "InvalidParameter"


# --------------------------------------------------------------------------- declared limits


def test_value_below_the_minimum_is_invalid():
    size = Param("PageSize", INTEGER, minimum=1, maximum=100)
    assert refused(text(size).check_flat, {"PageSize": "0"}).code == "InvalidParameter"


def test_value_above_the_maximum_is_invalid():
    size = Param("PageSize", INTEGER, minimum=1, maximum=100)
    assert refused(text(size).check_flat, {"PageSize": "101"}).code == "InvalidParameter"


def test_range_bounds_are_inclusive():
    size = Param("PageSize", INTEGER, minimum=1, maximum=100)
    assert text(size).check_flat({"PageSize": "100"})["PageSize"] == 100


def test_string_shorter_than_min_length_is_invalid():
    name = Param("InstanceName", min_length=2, max_length=128)
    assert refused(text(name).check_flat, {"InstanceName": "a"}).code == "InvalidParameter"


def test_string_longer_than_max_length_is_invalid():
    name = Param("InstanceName", min_length=2, max_length=128)
    assert refused(text(name).check_flat, {"InstanceName": "a" * 129}).code == "InvalidParameter"


def test_string_not_matching_the_pattern_answers_the_declared_code():
    spec = ErrorSpec("InvalidInstanceName.Malformed", "bad name {name}")
    name = Param("InstanceName", pattern=r"[a-zA-Z][\w.-]*", invalid=spec)
    error = refused(text(name).check_flat, {"InstanceName": "1abc"})
    assert (error.code, error.message) == ("InvalidInstanceName.Malformed", "bad name InstanceName")


def test_pattern_must_match_the_whole_value():
    name = Param("InstanceName", pattern=r"[a-z]+")
    assert refused(text(name).check_flat, {"InstanceName": "abc\ndef"}).code == "InvalidParameter"


def test_enum_is_case_sensitive_by_default():
    kind = Param("Category", enum=("cloud_essd", "cloud_ssd"))
    assert refused(text(kind).check_flat, {"Category": "CLOUD_ESSD"}).code == "InvalidParameter"


def test_case_insensitive_enum_answers_the_declared_spelling():
    kind = Param("Category", enum=("cloud_essd", "cloud_ssd"), enum_ignore_case=True)
    assert text(kind).check_flat({"Category": "CLOUD_ESSD"})["Category"] == "cloud_essd"


def test_default_fills_an_absent_parameter():
    assert text(Param("PageSize", INTEGER, default=10)).check_flat({})["PageSize"] == 10


def test_string_holding_a_nul_byte_is_invalid():
    assert (
        refused(text(Param("Description")).check_flat, {"Description": "a\x00b"}).code
        == "InvalidParameter"
    )


# --------------------------------------------------------------------------- required, refused, rules


def test_missing_required_parameter_answers_missing_parameter():
    error = refused(text(Param("RegionId", required=True)).check_flat, {})
    assert (error.code, error.status) == ("MissingParameter", 400)
    assert '"RegionId"' in error.message


def test_empty_required_list_is_missing():
    ids = Param("InstanceId", LIST, required=True)
    assert refused(text(ids).check_flat, {}).code == "MissingParameter"


def test_refused_parameter_answers_unsupported_parameter():
    spot = Param("SpotStrategy", refused="spot instances are not simulated")
    error = refused(text(spot).check_flat, {"SpotStrategy": "SpotAsPriceGo"})
    assert error.code == "UnsupportedParameter"
    assert "spot instances are not simulated" in error.message


def test_refused_parameter_that_is_absent_is_fine():
    assert text(Param("SpotStrategy", refused="not simulated")).check_flat({}) == {}


def test_exclusive_parameters_given_together_answer_the_rule_code():
    checker = text(Param("A"), Param("B"), rules=(Exclusive(("A", "B"), EXCLUSIVE),))
    error = refused(checker.check_flat, {"A": "1", "B": "2"})
    assert (error.code, error.message) == (
        "InvalidParameter.Conflict",
        "A and B exclude each other",
    )


def test_exclusive_parameters_given_alone_pass():
    checker = text(Param("A"), Param("B"), rules=(Exclusive(("A", "B"), EXCLUSIVE),))
    assert checker.check_flat({"B": "2"}) == {"B": "2"}


def test_one_required_rule_refuses_when_none_is_given():
    checker = text(Param("A"), Param("B"), rules=(OneRequired(("A", "B"), ONE_OF),))
    assert refused(checker.check_flat, {}).code == "MissingParameter.OneOf"


def test_one_required_rule_passes_with_either():
    checker = text(Param("A"), Param("B"), rules=(OneRequired(("A", "B"), ONE_OF),))
    assert checker.check_flat({"B": "x"}) == {"B": "x"}


def test_error_message_with_a_placeholder_the_path_does_not_supply_is_still_a_vendor_error():
    spec = ErrorSpec("InvalidTagCount", "at most {limit} tags, {name} has {value}")
    tag = Param("Tag", LIST, max_items=1, invalid=spec)
    error = refused(text(tag).check_flat, {"Tag.x": "a"})
    assert error.code == "InvalidTagCount"


# --------------------------------------------------------------------------- JSON mode


@pytest.mark.parametrize(
    "param,value",
    [
        (Param("name"), 5),
        (Param("count", INTEGER), "5"),
        (Param("count", INTEGER), True),
        (Param("count", INTEGER), 1.5),
        (Param("flag", BOOLEAN), "true"),
        (Param("ids", LIST), "a"),
        (Param("disk", STRUCT), ["a"]),
        (Param("price", FLOAT), "1.0"),
    ],
)
def test_json_mode_refuses_a_value_of_the_wrong_type(param, value):
    assert refused(as_json(param).check_json, {param.name: value}).code == "InvalidParameter"


def test_json_mode_keeps_typed_values_and_fills_defaults():
    checker = as_json(Param("count", INTEGER, default=1), Param("flag", BOOLEAN), Param("name"))
    assert checker.check_json({"flag": False, "name": "x"}) == {
        "count": 1,
        "flag": False,
        "name": "x",
    }


def test_json_mode_names_a_nested_field_by_its_path():
    server = Param(
        "server", STRUCT, fields=(Param("root_volume", STRUCT, fields=(Param("size", INTEGER),)),)
    )
    error = refused(as_json(server).check_json, {"server": {"root_volume": {"size": "40"}}})
    assert "server.root_volume.size" in error.message


def test_json_mode_checks_each_list_item():
    ids = Param("serverIds", LIST, items=Param("item", INTEGER))
    error = refused(as_json(ids).check_json, {"serverIds": [1, "2"]})
    assert "serverIds[1]" in error.message


def test_json_mode_refuses_a_lone_surrogate_in_a_string():
    assert (
        refused(as_json(Param("name")).check_json, {"name": "a\ud800"}).code == "InvalidParameter"
    )


def test_json_mode_refuses_a_nul_byte_anywhere_in_a_free_form_value():
    meta = Param("metadata", "any")
    assert (
        refused(as_json(meta).check_json, {"metadata": {"k": ["ok", "x\x00"]}}).code
        == "InvalidParameter"
    )


def test_json_mode_refuses_an_integer_beyond_64_bits():
    assert (
        refused(as_json(Param("size", INTEGER)).check_json, {"size": 2**64}).code
        == "InvalidParameter"
    )


def test_json_mode_refuses_a_non_finite_float():
    assert (
        refused(as_json(Param("price", FLOAT)).check_json, {"price": float("inf")}).code
        == "InvalidParameter"
    )
