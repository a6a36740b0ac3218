"""Reading pasted postback URLs: every macro dialect, encodings and odd input."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.sample import MAX_PARAMS, find_macros, parse_sample


@pytest.mark.parametrize(
    ("value", "name", "syntax"),
    [
        ("{clickid}", "clickid", "{x}"),
        ("{{afp}}", "afp", "{{x}}"),
        ("{{ afp }}", "afp", "{{x}}"),
        ("{{conversion.id}}", "conversion.id", "{{x}}"),
        ("{{reward.amount | divided_by: 100.0}}", "reward.amount", "{{x}}"),
        ("[=AffiliateReferenceID=]", "AffiliateReferenceID", "[=x=]"),
        ("${conversion.click.meta_data[clickid]}", "conversion.click.meta_data", "${x}"),
        ("*profit*", "profit", "*x*"),
        ("[clickid]", "clickid", "[x]"),
        ("[[aff_sub]]", "aff_sub", "[[x]]"),
        ("[[[sub1]]]", "sub1", "[[[x]]]"),
        ("#s2#", "s2", "#x#"),
        ("%s5%", "s5", "%x%"),
        ("%ad%", "ad", "%x%"),
        ("%%CLICK_ID%%", "CLICK_ID", "%%x%%"),
        ("!!!commission!!!", "commission", "!!!x!!!"),
        ("${CLICK_ID}", "CLICK_ID", "${x}"),
        ("<clickid>", "clickid", "<x>"),
        ("$clickid", "clickid", "$x"),
        ("REPLACE", "REPLACE", "WORD"),
        ("%7Bclickid%7D", "clickid", "{x}"),
    ],
)
def test_each_macro_dialect_is_read_with_its_name(value, name, syntax):
    assert [(m.name, m.syntax) for m in find_macros(value)] == [(name, syntax)]


def test_several_macros_in_one_value_are_all_read_in_order():
    assert [m.name for m in find_macros("{sub1}-{sub2}_x")] == ["sub1", "sub2"]


def test_macro_names_keep_their_case():
    assert find_macros("!!!Commission!!!")[0].name == "Commission"


def test_plain_values_carry_no_macros():
    assert find_macros("45.00") == ()
    assert find_macros("pl_55812") == ()
    assert find_macros("Replace") == ()


def test_hash_macros_survive_the_fragment_split():
    sample = parse_sample("https://h/pb/t?click_id=#s2#&affiliate=#s1#&payout=#price#")
    assert [(p.name, str(p.macros[0])) for p in sample.params] == [
        ("click_id", "#s2#"),
        ("affiliate", "#s1#"),
        ("payout", "#price#"),
    ]


def test_a_hash_macro_as_the_last_value_is_not_lost_as_a_fragment():
    sample = parse_sample("https://h/pb/t?cid=#s2#&c=#country#")
    assert [(p.name, p.value) for p in sample.params] == [("cid", "#s2#"), ("c", "#country#")]


def test_a_url_without_scheme_or_with_spaces_is_still_read():
    sample = parse_sample("  hub.example.com/pb/t?cid={clickid}  ")
    assert sample.path == "/pb/t"
    assert sample.keys == ("cid",)


def test_an_arrived_url_is_not_a_template():
    sample = parse_sample("https://h/pb/t?cid=AQAAAZ&payout=25.00")
    assert not sample.is_template
    assert sample.param("PAYOUT").value == "25.00"


@given(st.text(max_size=300))
def test_any_text_parses_without_raising(text):
    sample = parse_sample(text)
    assert len(sample.params) <= MAX_PARAMS
