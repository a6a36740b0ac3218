"""Money on the pages as the server writes it: the reader's locale, the currency's units."""

import pytest


@pytest.fixture
def big_payout(sign_in, fire):
    """A signed-in operator, and one conversion paying 1,234,567.891 USD."""
    sign_in()
    fire(click_id="big", transaction_id="B1", payout="1234567.891", currency="USD")


def test_the_postbacks_table_writes_usd_with_two_places_for_an_english_reader(client, big_payout):
    html = client.get("/postbacks", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    exact = 'value="1234567.891" title="1,234,567.891 USD"'
    assert f'<data class="amount" {exact}>$1,234,567.89</data>' in html


def test_the_postbacks_table_writes_german_money_for_a_german_reader(client, big_payout):
    html = client.get("/postbacks", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert ">1.234.567,89\u00a0$</data>" in html


def test_a_payout_without_a_currency_shows_the_number_alone(client, sign_in, make_source):
    sign_in()
    bare = make_source(name="No currency")
    client.get(bare["postback_path"], query_string={"click_id": "n", "payout": "10"})
    html = client.get("/postbacks").get_data(as_text=True)
    assert 'title="10, no currency">10.00</data>' in html
    assert "no currency</small>" not in html
