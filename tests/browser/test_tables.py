"""Tables of figures on a wide screen: a numeric column's header sits over its numbers."""

TEXT_ALIGN = "(element) => getComputedStyle(element).textAlign"


def test_numeric_headers_are_right_aligned_like_their_numbers(page, log_in, fire):
    fire(click_id="a", transaction_id="1", payout="12.50", currency="EUR")
    log_in()
    table = page.locator("#conversions")
    for name in ("Payout", "Gross"):
        assert table.get_by_role("columnheader", name=name).evaluate(TEXT_ALIGN) == "right"
    assert table.get_by_role("cell", name="€12.50").evaluate(TEXT_ALIGN) == "right"
    assert table.get_by_role("columnheader", name="Source").evaluate(TEXT_ALIGN) == "left"
