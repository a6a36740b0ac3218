"""The generic reader: what each parameter carries, from the words networks use."""

import pytest

from app.core.reader import hints, read, words
from app.core.sample import parse_sample

CLICK = "AQAAAZTtpwg9A0Cgrd1LJHLovrsTPtiC6z8r57yvpQXa"


def field_map(url):
    return read(parse_sample(url)).field_map


@pytest.mark.parametrize(
    ("name", "split"),
    [
        ("click_id", ("click", "id")),
        ("clickId", ("click", "id")),
        ("ClickID", ("click", "id")),
        ("click-id", ("click", "id")),
        ("TRANSACTION_ID", ("transaction", "id")),
        ("comissão", ("comissao",)),
    ],
)
def test_a_name_is_read_as_words_whatever_its_case_and_separators(name, split):
    assert words(name) == split


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("click_id", "click_id"),
        ("clickId", "click_id"),
        ("aff_click_id", "click_id"),
        ("sub1", "click_id"),
        ("aff_sub", "click_id"),
        ("tracking_id", "click_id"),
        ("payout", "payout_amount"),
        ("commission", "payout_amount"),
        ("summa", "payout_amount"),
        ("valor", "payout_amount"),
        ("выплата", "payout_amount"),
        ("deposit_amount", "gross_amount"),
        ("order_sum", "gross_amount"),
        ("pb_id", "transaction_id"),
        ("conversionId", "transaction_id"),
        ("install_id", "transaction_id"),
        ("id_pedido", "transaction_id"),
        ("player_id", "external_user_id"),
        ("usuario", "external_user_id"),
        ("operation", "event_type"),
        ("evento", "event_type"),
        ("событие", "event_type"),
        ("cur", "payout_currency"),
        ("moeda", "payout_currency"),
        ("order_currency", "gross_currency"),
        ("cnv_status", "status"),
    ],
)
def test_the_naming_habits_of_networks_point_at_their_field(name, field):
    assert hints(name)[0].field == field


@pytest.mark.parametrize("name", ["offer_id", "aff_id", "user_ip", "event_time", "signature"])
def test_a_name_about_something_else_points_at_nothing(name):
    assert field_map(f"https://hub/pb/t?{name}={{{name}}}") == {}


def test_every_reading_has_a_confidence_and_a_reason():
    reading = read(parse_sample("https://hub/pb/t?click_id={sub1}&payout={payout}"))
    click = reading.fields["click_id"]
    assert click.param == "click_id"
    assert 0.9 < click.confidence <= 1
    assert "click_id" in click.reason and "{sub1}" in click.reason


def test_a_parameter_name_and_a_macro_that_agree_are_surer_than_either():
    agreed = read(parse_sample("https://hub/pb/t?click_id={clickid}")).fields["click_id"]
    alone = read(parse_sample("https://hub/pb/t?click_id={foo}")).fields["click_id"]
    assert agreed.confidence > alone.confidence


def test_a_macro_names_the_field_when_the_parameter_name_says_nothing():
    assert field_map("https://hub/pb/t?a={clickid}&b={payout}") == {
        "click_id": "a",
        "payout_amount": "b",
    }


def test_the_clearest_click_name_wins_over_a_sub_id():
    assert field_map("https://hub/pb/t?sub1={sub1}&clickid={sub3}")["click_id"] == "clickid"


def test_a_bare_amount_beside_a_payout_is_the_sale_amount():
    found = field_map("https://hub/pb/t?payout={payout}&amount={amount}")
    assert (found["payout_amount"], found["gross_amount"]) == ("payout", "amount")


def test_one_currency_beside_both_amounts_serves_both():
    found = field_map("https://hub/pb/t?commission={c}&sale_amount={s}&currency={cur}")
    assert found["payout_currency"] == found["gross_currency"] == "currency"


def test_a_literal_event_becomes_the_sources_constant_event():
    reading = read(parse_sample("https://hub/pb/t?clickid={clickid}&operation=deposit"))
    assert reading.field_map["event_type"] == "operation"
    assert reading.event_map == {"deposit": "deposit"}
    assert "fixes it to “deposit”" in reading.fields["event_type"].reason


def test_a_literal_that_names_no_event_in_a_parameter_that_is_not_an_event_is_left_alone():
    assert field_map("https://hub/pb/t?clickid={clickid}&adid=100&type_of_ad=s2s") == {
        "click_id": "clickid"
    }


def test_a_literal_value_is_never_a_click_id():
    assert "click_id" not in field_map("https://hub/pb/t?click_id=12345&payout={payout}")


def test_an_arrived_postback_gets_a_plausible_field_map():
    sample = parse_sample(
        f"https://hub/pb/t?ref={CLICK}&commission=12.50&cur=EUR&action=reg&order_ref=A-1&player=p77"
    )
    assert read(sample).field_map == {
        "click_id": "ref",
        "event_type": "action",
        "transaction_id": "order_ref",
        "payout_amount": "commission",
        "payout_currency": "cur",
        "external_user_id": "player",
    }


def test_a_value_that_contradicts_the_name_is_not_suggested():
    assert "payout_amount" not in field_map("h/pb?payout=pending")


def test_one_of_our_click_tokens_is_the_click_id_whatever_its_name():
    assert field_map(f"h/pb?zz={CLICK}&click_id=")["click_id"] == "zz"


def test_virtual_currency_of_an_offerwall_is_no_money():
    assert field_map("h/pb?user_id={user_id}&points={points}&currency_name={currency_name}") == {
        "external_user_id": "user_id"
    }


def test_a_fixed_payout_typed_into_a_template_is_the_payout():
    assert field_map("h/pb?clickid={clickid}&payout=2.50")["payout_amount"] == "payout"


def test_a_documentations_fill_in_dots_do_not_rule_a_name_out():
    assert field_map("h/pb?clid=...&payout=...&currency=...") == {
        "click_id": "clid",
        "payout_amount": "payout",
        "payout_currency": "currency",
    }


def test_a_sub_id_macro_is_the_click_id_whatever_the_parameter_is_called():
    assert field_map("h/pb?transaction_id={sub1}") == {"click_id": "transaction_id"}


def test_a_parameter_that_names_the_click_outweighs_a_macro_that_names_a_user():
    assert field_map("h/pb?clickid={uid}")["click_id"] == "clickid"


def test_the_only_currency_beside_the_only_sale_amount_is_the_sales():
    found = field_map("h/pb?clickid={clickid}&deposit={deposit}&cur={currency}")
    assert (found.get("payout_currency"), found["gross_currency"]) == (None, "cur")


def test_an_offerwalls_reward_to_its_user_is_no_money():
    found = field_map("h/pb?user_id={user_id}&amount={amount}&payout={payout}&txid={txid}")
    assert found == {
        "transaction_id": "txid",
        "payout_amount": "payout",
        "external_user_id": "user_id",
    }


def test_an_amount_beside_a_click_id_is_money():
    found = field_map("h/pb?click_id={click_id}&user_id={user_id}&amount={amount}")
    assert found["payout_amount"] == "amount"


def test_a_late_sub_id_macro_does_not_outweigh_a_parameter_that_names_the_transaction():
    assert field_map("h/pb?transaction_id={sub7}") == {"transaction_id": "transaction_id"}


@pytest.mark.parametrize(
    "url",
    [
        "h/pb?clickid={clickid}&country={country}",
        "h/pb?clickid={clickid}&geo=[[geo]]",
        "h/pb?clickid={clickid}&country_code={country_code}",
        "h/pb?clickid={clickid}&countryCode={countryCode}",
        "h/pb?clickid={clickid}&user_country={user_country}",
        "h/pb?clickid={clickid}&country_iso={country_iso}",
        "h/pb?clickid={clickid}&country_name={country_name}",
        "h/pb?clickid={clickid}&cc={cc}",
        "h/pb?clickid={clickid}&strana={strana}",
        "h/pb?clickid={clickid}&страна={geo}",
        "h/pb?clickid={clickid}&pais={pais}",
        "h/pb?clickid={clickid}&país={país}",
    ],
)
def test_a_parameter_named_for_the_country_is_the_country(url):
    found = field_map(url)
    assert found["country"] == parse_sample(url).params[1].name
    assert found["click_id"] == "clickid"


@pytest.mark.parametrize("macro", ["{country}", "{geo}", "[[country]]", "#country#", "{{geo}}"])
def test_a_country_macro_names_the_country_whatever_the_parameter_is_called(macro):
    assert field_map(f"https://hub/pb/t?x={macro}&clickid={{clickid}}")["country"] == "x"


def test_a_country_reading_says_why_and_how_sure():
    reading = read(parse_sample("h/pb?clickid={clickid}&country={country}")).fields["country"]
    assert reading.confidence > 0.9
    assert reading.reason == (
        "parameter “country” is a name networks use for the country, "
        "and macro {country} is a name networks use for the country"
    )


def test_the_clicks_country_is_no_click_id():
    found = field_map("h/pb?subid={get.subid1}&country={click.country}")
    assert (found["click_id"], found["country"]) == ("subid", "country")


def test_a_conversions_country_is_no_transaction_id():
    found = field_map("h/pb?clickid={clickid}&conversion_country={conversion_country}")
    assert (found.get("transaction_id"), found["country"]) == (None, "conversion_country")


@pytest.mark.parametrize(
    "name",
    ["geo_id", "geo_lat", "geo_lon", "city", "region", "ip", "country_id", "country_region"],
)
def test_a_place_that_is_not_the_country_maps_nothing(name):
    assert field_map(f"h/pb?{name}={{{name}}}") == {}


def test_a_currency_is_never_the_country():
    assert field_map("h/pb?country={country}&currency={currency}") == {
        "payout_currency": "currency",
        "country": "country",
    }


def test_city_region_and_ip_beside_a_country_map_nothing():
    url = "h/pb?clickid={clickid}&city={city}&region={region}&ip={ip}&geo={geo}"
    assert field_map(url) == {"click_id": "clickid", "country": "geo"}


def test_an_arrived_country_code_confirms_the_name():
    reading = read(parse_sample(f"h/pb?clickid={CLICK}&country=DE"))
    assert reading.field_map["country"] == "country"
    assert "“DE” reads as a country (DE)" in reading.fields["country"].reason
    assert reading.fields["country"].confidence > hints("country")[0].confidence


@pytest.mark.parametrize("value", ["12.50", "4471902", "9f3c2a7e51b84d06a1c3", "EUR", CLICK])
def test_an_amount_or_an_id_under_a_countrys_name_is_no_country(value):
    assert "country" not in field_map(f"h/pb?country={value}&payout=1.20")


@pytest.mark.parametrize("value", ["Germany", "deu", "Deutschland", "unknown", "XX"])
def test_a_country_name_or_a_word_the_hub_cannot_read_keeps_the_name(value):
    assert field_map(f"h/pb?country={value}")["country"] == "country"


def test_a_template_made_for_one_country_fixes_it():
    assert field_map("h/pb?clickid={clickid}&geo=BR")["country"] == "geo"
