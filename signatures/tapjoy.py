"""Tapjoy (offer wall, self-managed currency): the parameters Tapjoy adds to the callback.

Docs: https://dev.tapjoy.com/en/support/Self-Managed-Currency
Also: https://docs.unity.com/en-us/grow/offerwall/monetization/virtual-currency/self-managed-currency

Tapjoy has no macros: it calls the publisher's callback URL as
``<callback_url>?snuid=<user_id>&currency=<currency>&mac_address=<mac_address>``, with
``snuid`` the publisher's user id, ``currency`` the amount of virtual currency to add and
``mac_address`` the device's Wi-Fi MAC (if available). When the currency has a secret
key, ``id`` (a unique identifier of the reward request) and ``verifier`` (MD5 of id,
snuid, currency and the secret key) are added. Detection goes by these names.

Traps: ``currency`` is an amount of virtual currency, not a currency code nor money.
``snuid`` is the app's user, not a click. Answer 200 only once the currency is credited
and 403 for a bad verifier or unknown user; anything else makes Tapjoy retry for days,
so de-duplicate on ``id``.

Not verified: any payout, event or status parameter, so none is declared.
"""

from plugins import Signature, hookimpl

TAPJOY = Signature(
    id="tapjoy",
    name="Tapjoy",
    docs=(
        "https://dev.tapjoy.com/en/support/Self-Managed-Currency",
        "https://docs.unity.com/en-us/grow/offerwall/monetization/virtual-currency/"
        "self-managed-currency",
    ),
    params={
        "external_user_id": ("snuid",),
        "transaction_id": ("id",),
    },
    other_params=("currency", "mac_address", "verifier"),
    notes="'currency' is virtual currency to credit; check 'verifier' and de-duplicate on 'id'.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [TAPJOY]
