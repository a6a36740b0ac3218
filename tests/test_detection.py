"""Detection against real documented postback URLs, and its rules of evidence.

The cases live in ``tests/data/*.json``: ``signature_samples.json`` holds the
documented samples the product was specified with; ``doc_samples_*.json`` hold one
or more documented URLs for every other built-in signature.
"""

import json
import time
from pathlib import Path

import pytest

from app.core.sample import parse_sample
from app.core.vocabulary import CANONICAL_FIELDS
from plugins.detection import detect
from plugins.manager import build_manager, collect
from plugins.signature import Signature

DATA = Path(__file__).parent / "data"
CASES = [
    case for path in sorted(DATA.glob("*samples*.json")) for case in json.loads(path.read_text())
]


@pytest.fixture(scope="module")
def signatures():
    return collect(build_manager(entry_points=False))


def expected_map(case):
    return {field: case["expected"].get(field) for field in CANONICAL_FIELDS}


def detected_map(detection):
    found = detection.best.field_map if detection.best else {}
    return {field: found.get(field) for field in CANONICAL_FIELDS}


WITH_CLICK = [case for case in CASES if case["expected"].get("click_id")]
WITHOUT_CLICK = [case for case in CASES if not case["expected"].get("click_id")]


def case_id(case):
    return f"{case['signature']}:{case['template_url'][-40:]}"


@pytest.mark.parametrize("case", WITH_CLICK, ids=case_id)
def test_a_documented_template_is_recognised_with_its_field_map(signatures, case):
    detection = detect(case["template_url"], signatures)
    assert (detection.outcome, detection.best.signature.id) == ("recognised", case["signature"])
    assert detected_map(detection) == expected_map(case)


@pytest.mark.parametrize("case", WITHOUT_CLICK, ids=case_id)
def test_a_documented_template_without_a_click_id_is_named_but_not_recognised(signatures, case):
    detection = detect(case["template_url"], signatures)
    assert (detection.outcome, detection.best.signature.id) == ("ambiguous", case["signature"])
    assert detected_map(detection) == expected_map(case)
    assert "no parameter of this URL carries its click id" in detection.differences[0]


def test_every_built_in_signature_has_a_documented_sample(signatures):
    sampled = {case["signature"] for case in CASES}
    assert {s.id for s in signatures if s.origin == "built-in"} <= sampled


def test_there_are_at_least_seventy_five_built_in_signatures(signatures):
    assert len([s for s in signatures if s.origin == "built-in"]) >= 75


def test_every_built_in_signature_cites_its_documentation(signatures):
    assert all(s.docs and s.docs[0].startswith("https://") for s in signatures)


@pytest.mark.parametrize(
    "url",
    [
        "https://hub/pb/t?click_id={click_id}&payout={payout}&status={status}",
        "https://hub/pb/t?clickid={clickid}&sum={sum}",
        "https://hub/pb/t?sub1={sub1}&amount={amount}",
    ],
)
def test_generic_macro_names_alone_are_never_recognised(signatures, url):
    assert detect(url, signatures).outcome != "recognised"


def test_an_unrelated_url_is_unknown(signatures):
    detection = detect("https://hub/pb/t?foo={bar}&zip={zap}", signatures)
    assert detection.outcome == "unknown"
    assert detection.candidates == ()


def test_ambiguity_lists_candidates_and_what_tells_them_apart():
    one = Signature(id="one", name="One", macros={"click_id": ("shared",), "payout_amount": ("p",)})
    two = Signature(id="two", name="Two", macros={"click_id": ("shared",), "gross_amount": ("p",)})
    detection = detect("https://hub/pb/t?c={shared}&v={p}", [one, two])
    assert detection.outcome == "ambiguous"
    assert [c.signature.id for c in detection.candidates] == ["one", "two"]
    assert detection.differences == (
        "One: nothing the others do not explain too",
        "Two: nothing the others do not explain too",
    )


def test_candidates_that_read_the_url_the_same_way_are_one_answer():
    one = Signature(id="one", name="One", macros={"click_id": ("shared",)})
    two = Signature(id="two", name="Two", macros={"click_id": ("shared",)})
    detection = detect("https://hub/pb/t?c={shared}", [one, two])
    assert detection.outcome == "recognised"
    assert [s.id for s in detection.best.agreeing] == ["two"]


def test_a_sample_postback_decides_between_candidates_by_its_values():
    one = Signature(id="one", name="One", macros={"click_id": ("a",), "payout_amount": ("b",)})
    two = Signature(id="two", name="Two", macros={"click_id": ("b",), "payout_amount": ("a",)})
    template = "https://hub/pb/t?x={a}&y={b}"
    assert detect(template, [one, two]).outcome == "ambiguous"
    arrived = "https://hub/pb/t?x=12.50&y=AQAAAZTtpwg9A0Cgrd1LJHLovrsTPtiC6z8r57yvpQXa"
    detection = detect(template, [one, two], sample_postback=arrived)
    assert (detection.outcome, detection.best.signature.id) == ("recognised", "two")
    assert "y=AQAAAZTtpwg9A0Cgrd1LJHLo is a click_id" in detection.decided_by_sample


def test_values_that_fit_no_candidate_better_decide_nothing():
    one = Signature(id="one", name="One", macros={"click_id": ("a",), "payout_amount": ("b",)})
    two = Signature(id="two", name="Two", macros={"click_id": ("a",), "gross_amount": ("b",)})
    arrived = "https://hub/pb/t?x=AQAAAZTtpwg9A0Cgrd1LJHLovrsTPtiC6z8r57yvpQXa&y=3"
    detection = detect("https://hub/pb/t?x={a}&y={b}", [one, two], sample_postback=arrived)
    assert (detection.outcome, detection.decided_by_sample) == ("ambiguous", None)


def test_a_signature_that_finds_no_click_id_is_not_recognised():
    weak = Signature(id="weak", name="Weak", macros={"payout_amount": ("weak_payout",)})
    detection = detect("https://hub/pb/t?p={weak_payout}&foo={bar}", [weak])
    assert detection.outcome == "ambiguous"
    assert detection.differences == (
        "Weak: only it explains {weak_payout}; and no parameter of this URL carries its click id",
    )


def test_the_generic_reader_fills_the_fields_a_signature_leaves_empty(signatures):
    detection = detect(
        "https://hub/pb/t?click_id=#s2#&payout=#price#&lead_id=#leadid#&player_id={player}",
        signatures,
    )
    assert detection.best.signature.id == "cake"
    assert detection.best.field_map["external_user_id"] == "player_id"
    assert detection.best.to_dict()["fields"]["external_user_id"]["by"] == "reader"


def test_an_unknown_network_is_answered_with_the_generic_readers_map():
    url = (
        "https://hub/pb/t?click_id={click_id}&player_id={player_id}&amount={amount}"
        "&pb_id={pb_id}&operation=deposit"
    )
    detection = detect(url, [])
    assert detection.outcome == "unknown"
    assert detection.reading.field_map == {
        "click_id": "click_id",
        "event_type": "operation",
        "transaction_id": "pb_id",
        "payout_amount": "amount",
        "external_user_id": "player_id",
    }
    assert detection.reading.event_map == {"deposit": "deposit"}


def test_the_field_map_follows_the_parameter_that_carries_the_macro(signatures):
    detection = detect("https://hub/pb/t?whatever=#s2#&amount_paid=#price#", signatures)
    assert detection.best.field_map == {"click_id": "whatever", "payout_amount": "amount_paid"}


def test_a_case_sensitive_network_does_not_claim_other_casings():
    strict = Signature(
        id="strict", name="Strict", case_sensitive=True, macros={"click_id": ("ClickRef",)}
    )
    assert strict.detect(parse_sample("h/pb?c={clickref}")).score < 0
    assert strict.detect(parse_sample("h/pb?c={ClickRef}")).score > 0


def test_detecting_one_url_against_every_signature_takes_under_two_ms(signatures):
    urls = [case["template_url"] for case in CASES]
    started = time.perf_counter()
    for url in urls * 5:
        detect(url, signatures)
    assert (time.perf_counter() - started) / (len(urls) * 5) < 0.002


def test_one_parameter_may_feed_the_event_and_the_status(signatures):
    detection = detect("https://hub/pb/t?subid={clickid}&status={status}&tid={txid}", signatures)
    assert detection.best.signature.id == "keitaro"
    assert detection.best.field_map["event_type"] == detection.best.field_map["status"] == "status"


def test_a_plugin_written_against_field_map_alone_keeps_its_map():
    class Fixed(Signature):
        def field_map(self, sample):
            return {"click_id": "anything"}

    fixed = Fixed(id="fixed", name="Fixed", macros={"click_id": ("fixed_click",)})
    detection = detect("https://hub/pb/t?anything={fixed_click}", [fixed])
    assert detection.best.field_map == {"click_id": "anything"}
    assert detection.best.fields["click_id"].reason == "Fixed's signature maps it"


UNSIGNED = [
    case
    for path in sorted((Path(__file__).parents[1] / "bench" / "data").glob("unsigned_*.json"))
    for case in json.loads(path.read_text())
]


@pytest.mark.parametrize("case", UNSIGNED, ids=lambda c: c["platform"])
def test_every_template_of_the_detection_corpus_cites_its_source_and_maps_its_own_params(case):
    assert case["source"].startswith(("https://", "http://"))
    assert set(case["expected"]) == set(CANONICAL_FIELDS)
    keys = parse_sample(case["template_url"]).keys
    assert {name for name in case["expected"].values() if name} <= set(keys)


@pytest.mark.parametrize(
    ("url", "signature", "param"),
    [
        (
            "https://hub/pb/t?click_id={{subId}}&txid={{transactionId}}&country={{countryCode}}",
            "monlix",
            "country",
        ),
        (
            "https://hub/pb/t?clickid={click_id}&event_name={event_name}&postback={postback_id}"
            "&geo_of_conversion={conversion_country}",
            "mychips",
            "geo_of_conversion",
        ),
        (
            "https://hub/pb/t?clickid={pub_click_id}&conv={conversion_id}&land={geo}&city={city}",
            "affise_reach",
            "land",
        ),
    ],
)
def test_a_signature_maps_its_documented_country_macro(signatures, url, signature, param):
    detection = detect(url, signatures)
    assert (detection.outcome, detection.best.signature.id) == ("recognised", signature)
    assert detection.best.field_map["country"] == param
    assert detection.best.to_dict()["fields"]["country"]["by"] == "signature"


def test_a_receiving_side_maps_its_fixed_country_parameter(signatures):
    url = "https://hub/pb/t?tp=direct&app_event={event}&bid_id={CLICK_ID}&country_code=&city="
    detection = detect(url, signatures)
    assert detection.best.signature.id == "geospot_media"
    assert detection.best.field_map["country"] == "country_code"


def test_the_reader_fills_the_country_a_signature_says_nothing_of(signatures):
    detection = detect(
        "https://hub/pb/t?click_id=#s2#&payout=#price#&lead_id=#leadid#&geo={geo}", signatures
    )
    assert detection.best.signature.id == "cake"
    assert detection.best.field_map["country"] == "geo"
    assert detection.best.to_dict()["fields"]["country"]["by"] == "reader"
