"""Value shapes and name hints: suggestions where no signature knows the network."""

import pytest

from app.core.sample import parse_sample
from app.core.shapes import suggest_field_map, value_shape


@pytest.mark.parametrize(
    ("value", "shape"),
    [
        ("AQAAAZTtpwg9A0Cgrd1LJHLovrsTPtiC6z8r57yvpQXa", "click_token"),
        ("45.00", "decimal"),
        ("1,234.50", "decimal"),
        ("EUR", "currency"),
        ("reg", "event_label"),
        ("approved", "status_label"),
        ("88213457", "integer"),
        ("", "empty"),
        ("hello world", "text"),
    ],
)
def test_a_value_is_given_its_shape(value, shape):
    assert value_shape(value) == shape


def test_an_arrived_postback_gets_a_plausible_field_map():
    sample = parse_sample(
        "https://hub/pb/t?ref=AQAAAZTtpwg9A0Cgrd1LJHLovrsTPtiC6z8r57yvpQXa"
        "&commission=12.50&cur=EUR&action=reg&order_ref=A-1&player=p77"
    )
    assert suggest_field_map(sample) == {
        "click_id": "ref",
        "payout_amount": "commission",
        "payout_currency": "cur",
        "event_type": "action",
        "transaction_id": "order_ref",
        "external_user_id": "player",
    }


def test_a_value_that_contradicts_the_name_is_not_suggested():
    assert "payout_amount" not in suggest_field_map(parse_sample("h/pb?payout=pending"))
