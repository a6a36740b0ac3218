"""The walkthrough of the README, as one test: source -> click -> postback -> stats."""


def test_a_postback_carrying_our_click_token_is_matched_and_counted(
    client, source, operator_headers
):
    click = client.get(source["track_path"])
    assert click.status_code == 302
    location = click.headers["Location"]
    assert location.startswith("https://offer.test/lp?_cid=")
    cid = location.split("_cid=")[1]

    answer = client.get(
        source["postback_path"],
        query_string={"click_id": cid, "event": "dep", "payout": "12.50", "transaction_id": "T-1"},
    )
    assert answer.status_code == 200
    assert answer.get_json()["attribution"] == "matched"
    assert answer.get_json()["status"] == "accepted"

    stats = client.get("/api/v1/stats?window=15m", headers=operator_headers).get_json()
    assert stats["clicks"] == 1
    assert stats["conversions"] == 1
    assert stats["events"]["ftd"] == 1
    assert stats["payout"] == [
        {
            "currency": "USD",
            "approved": "12.500000",
            "pending": "0.000000",
            "total": "12.500000",
            "epc": "12.500000",
        }
    ]

    listed = client.get("/api/v1/conversions", headers=operator_headers).get_json()
    assert [c["id"] for c in listed["items"]] == [answer.get_json()["conversion_id"]]
    assert listed["items"][0]["clicked_at"] is not None
