from decimal import Decimal

from app.core.mapping import Rules, translate
from app.core.vocabulary import DEFAULT_FIELD_MAP

RULES = Rules(
    field_map={**DEFAULT_FIELD_MAP, "click_id": "subid", "transaction_id": "tid"},
    event_map={"Dep": "ftd", "reg": "registration"},
    status_map={"hold": "pending", "ok": "approved"},
    default_currency="EUR",
)


def test_the_field_map_names_which_parameter_carries_each_canonical_field():
    out = translate({"subid": "abc", "tid": "T1", "payout": "3.5", "currency": "usd"}, RULES)
    assert (out.click_id, out.transaction_id) == ("abc", "T1")
    assert (out.payout_amount, out.payout_currency) == (Decimal("3.500000"), "USD")
    assert out.notes == []


def test_event_labels_match_case_insensitively_and_trimmed():
    assert translate({"event": "  dep "}, RULES).event_type == "ftd"
    assert translate({"event": "REG"}, RULES).event_type == "registration"


def test_an_unmapped_or_missing_event_is_unknown_and_the_raw_label_is_kept():
    out = translate({"event": "chargeback"}, RULES)
    assert (out.event_type, out.raw_event) == ("unknown", "chargeback")
    assert translate({}, RULES).event_type == "unknown"


def test_a_canonical_event_name_is_understood_without_a_map_entry():
    assert translate({"event": "qftd"}, RULES).event_type == "qftd"


def test_the_per_event_url_label_applies_only_when_the_payload_has_no_event():
    assert translate({}, RULES, path_event="dep").event_type == "ftd"
    assert translate({"event": "reg"}, RULES, path_event="dep").event_type == "registration"


def test_status_defaults_to_approved_and_goes_through_the_status_map():
    assert translate({}, RULES).status == "approved"
    out = translate({"status": "HOLD"}, RULES)
    assert (out.status, out.raw_status) == ("pending", "HOLD")
    assert translate({"status": "declined"}, RULES).status == "rejected"


def test_an_unknown_status_label_is_kept_as_pending_with_a_note():
    out = translate({"status": "weird"}, RULES)
    assert out.status == "pending"
    assert any("weird" in note for note in out.notes)


def test_amounts_without_a_currency_take_the_source_default():
    out = translate({"payout": "10", "amount": "99"}, RULES)
    assert (out.payout_currency, out.gross_currency) == ("EUR", "EUR")


def test_an_unparseable_value_becomes_null_with_a_note_and_nothing_is_dropped():
    out = translate({"subid": "c", "payout": "1e9", "currency": "dollars"}, RULES)
    assert out.payout_amount is None
    assert out.payout_currency is None
    assert out.click_id == "c"
    assert len(out.notes) == 2


def test_a_blank_parameter_name_skips_the_field():
    rules = Rules(field_map={**RULES.field_map, "click_id": ""}, event_map={}, status_map={})
    assert translate({"": "x", "subid": "abc"}, rules).click_id is None


def test_parameter_names_fall_back_to_a_case_insensitive_match():
    assert translate({"SUBID": "abc"}, RULES).click_id == "abc"


def test_a_refused_currency_is_not_replaced_by_the_default():
    out = translate({"payout": "10", "currency": "RUR"}, RULES)
    assert (out.payout_amount, out.payout_currency) == (Decimal("10.000000"), None)
    assert out.defaulted == set()


def test_a_defaulted_currency_is_marked_as_such():
    assert translate({"payout": "10"}, RULES).defaulted == {"payout_currency"}


def test_numeric_status_codes_other_than_1_0_minus_1_need_a_status_map():
    out = translate({"status": "2"}, RULES)
    assert out.status == "pending"
    assert out.notes


def unmapping(*names: str) -> Rules:
    """The test rules with ``names`` unmapped, as a finalize or an edit can leave them."""
    return Rules(
        field_map={**RULES.field_map, **dict.fromkeys(names, "")},
        event_map=RULES.event_map,
        status_map={},
        default_currency="USD",
    )


def test_a_sent_value_ignored_because_its_field_is_unmapped_gets_a_note():
    out = translate({"subid": "c1", "event": "Dep"}, unmapping("event_type"))
    assert out.event_type == "unknown"
    assert out.notes == [
        "event_type: “event=Dep” was sent but ignored, because no parameter is mapped to"
        " event_type. Map event_type to “event” to read it."
    ]


def test_the_note_for_an_ignored_currency_says_the_default_was_used():
    out = translate({"payout": "10", "currency": "EUR"}, unmapping("payout_currency"))
    assert out.payout_currency == "USD"
    assert "the source's default USD was used" in out.notes[0]
    assert out.notes[0].startswith("payout_currency: “currency=EUR” was sent but ignored")


def test_a_parameter_named_plainly_for_an_unmapped_field_is_noted_too():
    out = translate({"txid": "T-1"}, unmapping("transaction_id"))
    assert out.transaction_id is None
    assert out.notes[0].startswith("transaction_id: “txid=T-1” was sent but ignored")


def test_a_parameter_mapped_to_another_field_is_not_reported_as_ignored():
    rules = Rules(
        field_map={**unmapping("transaction_id").field_map, "click_id": "transaction_id"},
        event_map={},
        status_map={},
    )
    assert translate({"transaction_id": "c1"}, rules).notes == []


def test_a_fully_mapped_source_gets_no_ignored_value_notes():
    assert translate({"subid": "c1", "event": "reg", "currency": "EUR"}, RULES).notes == []
