"""The canonical words of the product, in one place."""

from __future__ import annotations

CANONICAL_FIELDS = (
    "click_id",
    "event_type",
    "transaction_id",
    "gross_amount",
    "gross_currency",
    "payout_amount",
    "payout_currency",
    "external_user_id",
    "country",
)
#: Fields a field map may name besides the canonical ones.
MAPPABLE_FIELDS = (*CANONICAL_FIELDS, "status")

EVENTS = ("registration", "ftd", "qftd", "ngr", "deposit", "cpa", "unknown")
STATUSES = ("approved", "pending", "rejected")
ATTRIBUTIONS = ("matched", "unmatched", "duplicate", "expired")

SOURCE_STATES = ("active", "paused", "archived")

#: Parameter names a new source reads when its field map does not say otherwise.
DEFAULT_FIELD_MAP = {
    "click_id": "click_id",
    "event_type": "event",
    "transaction_id": "transaction_id",
    "gross_amount": "amount",
    "gross_currency": "amount_currency",
    "payout_amount": "payout",
    "payout_currency": "currency",
    "external_user_id": "user_id",
    "country": "country",
    "status": "status",
}

#: Event labels networks use (and templates fix), and the canonical event each one means.
EVENT_SYNONYMS: dict[str, str] = {
    "reg": "registration",
    "registration": "registration",
    "register": "registration",
    "signup": "registration",
    "sign_up": "registration",
    "lead": "registration",
    "cadastro": "registration",
    "registraciya": "registration",
    "регистрация": "registration",
    "ftd": "ftd",
    "first_deposit": "ftd",
    "firstdeposit": "ftd",
    "first_dep": "ftd",
    "qftd": "qftd",
    "dep": "deposit",
    "deposit": "deposit",
    "redeposit": "deposit",
    "rd": "deposit",
    "deposito": "deposit",
    "депозит": "deposit",
    "sale": "cpa",
    "cpa": "cpa",
    "purchase": "cpa",
    "install": "cpa",
    "conversion": "cpa",
    "order": "cpa",
    "venda": "cpa",
    "ngr": "ngr",
}

#: Status labels understood without a status map (after the source's own map).
STATUS_SYNONYMS = {
    "approved": "approved",
    "approve": "approved",
    "accepted": "approved",
    "confirmed": "approved",
    "success": "approved",
    "paid": "approved",
    "sale": "approved",
    "1": "approved",
    "pending": "pending",
    "hold": "pending",
    "on_hold": "pending",
    "waiting": "pending",
    "processing": "pending",
    "lead": "pending",
    "0": "pending",
    "rejected": "rejected",
    "reject": "rejected",
    "declined": "rejected",
    "denied": "rejected",
    "cancelled": "rejected",
    "canceled": "rejected",
    "trash": "rejected",
    "fraud": "rejected",
    "-1": "rejected",
}

#: Status transitions a repeated transaction may make; any other repeat is a duplicate.
STATUS_TRANSITIONS = {
    ("pending", "approved"),
    ("pending", "rejected"),
    ("approved", "rejected"),
}
