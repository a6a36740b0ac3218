"""Value shapes: what a postback value looks like."""

import pytest

from app.core.shapes import value_shape


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
        ("...", "empty"),
        ("hello world", "text"),
    ],
)
def test_a_value_is_given_its_shape(value, shape):
    assert value_shape(value) == shape
