"""The generic reader: what each parameter of a postback URL carries, for any network.

Networks name things in a handful of habits (``click_id``, ``clickId``, ``aff_sub``,
``sub1``; ``payout``, ``commission``, ``summa``, ``valor``; ``txid``, ``order_id``,
``pb_id``; ``country``, ``geo``, ``strana``...), in their parameter names and in their
macros' names alike. The reader splits every name into words (camelCase, separators,
accents and case do not matter), reads each word against those habits, and weighs in
what the values look like when the URL carries values. It is what answers for a network
no signature knows, and what fills the fields a signature leaves empty.

A template's literal value (``operation=deposit``, ``goal_alias=ftd``) is data the
network echoes unchanged: every postback of that URL is that event, so the parameter
becomes the event and the literal gets its entry in the event map.

Every reading carries a confidence and the reason for it, in words an operator checks.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from app.core.countries import read_country
from app.core.sample import Param, Sample
from app.core.shapes import value_shape
from app.core.vocabulary import EVENT_SYNONYMS

# -- the words networks use ---------------------------------------------------------------

#: Whole names (separators and case removed) that say outright what they carry, with the
#: confidence they deserve. Russian names come transliterated and in Cyrillic; Portuguese
#: ones without accents (accents are stripped before the lookup).
NAMES: dict[str, tuple[str, float]] = {}


def _names(field_name: str, confidence: float, *names: str) -> None:
    for name in names:
        NAMES.setdefault(name, (field_name, confidence))


_names(
    "click_id",
    0.95,
    "clickid",
    "click",
    "clkid",
    "clid",
    "clickref",
    "clickidentifier",
    "affclickid",
    "externalclickid",
    "trackingid",
    "trackid",
    "cid",
    "idclick",
    "clique",
    "idclique",
    "klik",
    "klick",
    "idklika",
    "клик",
    "кликid",
)
_names("click_id", 0.85, "afp")
_names("click_id", 0.75, "tracking", "trackinguuid", "payload", "clickhash", "clickuuid")
_names("click_id", 0.7, "externalid", "extclickid", "externalclick")
_names("click_id", 0.6, "hit", "hitid", "visitid", "visitorid")
_names("click_id", 0.55, "ref", "reference")
_names("event_type", 0.95, "event", "eventtype", "eventname", "goal", "goalname", "goalalias")
_names("event_type", 0.85, "conversiontype", "conversionevent", "goalid", "goaltype")
_names("event_type", 0.8, "action", "actiontype", "actionname", "operation", "trigger")
_names("event_type", 0.75, "type", "et", "kind", "aim")
_names("event_type", 0.9, "evento", "acao", "tipoevento", "objetivo", "meta")
_names("event_type", 0.9, "sobytie", "sobytiye", "tsel", "cel", "deistvie", "deystvie")
_names("event_type", 0.9, "событие", "цель", "действие", "тип")
_names("event_type", 0.75, "tipo")
_names("status", 0.95, "status", "state", "conversionstatus", "leadstatus", "orderstatus")
_names("status", 0.9, "situacao", "estado", "статус", "sostoyanie", "состояние")
_names(
    "transaction_id",
    0.95,
    "txid",
    "trxid",
    "txnid",
    "transid",
    "transaction",
    "transactionid",
    "orderid",
    "ordernumber",
    "leadid",
    "conversionid",
    "convid",
    "installid",
    "actionid",
    "pbid",
    "postbackid",
    "saleid",
    "purchaseid",
    "depositid",
    "invoiceid",
    "paymentid",
    "registrationid",
    "transacao",
    "idtransacao",
    "pedido",
    "idpedido",
    "idvenda",
    "zakaz",
    "idzakaza",
    "nomerzakaza",
    "tranzakciya",
    "tranzaktsiya",
    "tranzakcia",
    "заказ",
    "транзакция",
)
_names("transaction_id", 0.7, "order", "lead", "conversion", "advsub", "uniqueid", "tx")
_names("transaction_id", 0.7, "eventid", "xid", "tid")
_names(
    "payout_amount",
    0.95,
    "payout",
    "payoutamount",
    "commission",
    "comission",
    "commissionamount",
    "revenue",
    "affiliatecommission",
    "affpayout",
    "comissao",
    "receita",
    "vyplata",
    "viplata",
    "komissiya",
    "komissia",
    "dohod",
    "dokhod",
    "выплата",
    "комиссия",
    "доход",
)
_names("payout_amount", 0.85, "earnings", "earning", "reward", "profit", "bounty", "ganho")
_names("payout_amount", 0.8, "money", "earn", "cpa", "affiliateamount", "amountaffiliate")
_names("payout_amount", 0.7, "rev", "comm", "amt", "pay")
_names(
    "payout_amount",
    0.75,
    "sum",
    "amount",
    "price",
    "cost",
    "value",
    "rate",
    "summa",
    "сумма",
    "valor",
    "pagamento",
    "quantia",
    "montante",
    "stavka",
    "ставка",
)
_names(
    "gross_amount",
    0.9,
    "saleamount",
    "salevalue",
    "sale",
    "ordertotal",
    "ordersum",
    "orderamount",
    "ordervalue",
    "total",
    "gross",
    "grossamount",
    "deposit",
    "depositamount",
    "depamount",
    "depositsum",
    "ftdamount",
    "firstdeposit",
    "firstdepositamount",
    "purchaseamount",
    "cartvalue",
    "carttotal",
    "basketvalue",
    "turnover",
    "brutto",
    "amountbrutto",
    "bruttoamount",
    "deposito",
    "valordeposito",
    "valorvenda",
    "summazakaza",
    "депозит",
)
_names(
    "payout_currency",
    0.95,
    "currency",
    "cur",
    "ccy",
    "curr",
    "currencycode",
    "payoutcurrency",
    "commissioncurrency",
    "revenuecurrency",
    "moeda",
    "valyuta",
    "valuta",
    "valiuta",
    "валюта",
)
_names(
    "gross_currency",
    0.9,
    "ordercurrency",
    "salecurrency",
    "depositcurrency",
    "grosscurrency",
    "amountcurrency",
    "transactioncurrency",
    "purchasecurrency",
)
_names(
    "external_user_id",
    0.95,
    "userid",
    "uid",
    "playerid",
    "customerid",
    "clientid",
    "memberid",
    "usuario",
    "idusuario",
    "jogador",
    "idjogador",
    "idcliente",
    "igrok",
    "polzovatel",
    "игрок",
    "пользователь",
)
_names("external_user_id", 0.85, "user", "player", "customer", "member", "cliente", "klient")
_names("external_user_id", 0.7, "client", "клиент", "account", "accountid", "visitor")
_names(
    "country",
    0.95,
    "country",
    "countrycode",
    "countryiso",
    "isocountry",
    "usercountry",
    "strana",
    "страна",
    "pais",
)
_names("country", 0.9, "geo", "countryname", "geocountry")
_names("country", 0.75, "cc")

#: Words inside a longer name (``aff_click_id``, ``cnv_status``, ``order_currency``) and
#: what they point at, with a confidence below a whole name's.
_CLICK_WORDS = frozenset({"click", "clk", "clickid", "subid", "clique", "klik", "tracking"})
_EVENT_WORDS = frozenset({"event", "goal", "evento", "sobytie"})
_STATUS_WORDS = frozenset({"status", "state", "situacao", "статус"})
_CURRENCY_WORDS = frozenset({"currency", "cur", "ccy", "curr", "moeda", "valyuta", "валюта"})
_ID_WORDS = frozenset({"id", "number", "num", "no", "nr", "ref", "code", "key", "uuid", "guid"})
_TRANSACTION_WORDS = frozenset(
    {"transaction", "trans", "txn", "tx", "trx", "order", "lead", "conversion", "conv", "sale"}
    | {"install", "purchase", "invoice", "payment", "postback", "pb", "action", "deposit", "dep"}
    | {"pedido"}
)
_PAYOUT_WORDS = frozenset(
    {"payout", "commission", "comission", "revenue", "earnings", "reward", "profit", "comissao"}
)
_AMOUNT_WORDS = frozenset(
    {"amount", "sum", "summa", "price", "cost", "value", "total", "valor", "amt"}
)
_GROSS_WORDS = frozenset(
    {"sale", "order", "deposit", "dep", "ftd", "purchase", "cart", "basket", "gross", "total"}
    | {"turnover", "transaction", "venda", "pedido", "deposito", "zakaz", "bet"}
)
_USER_WORDS = frozenset(
    {"user", "player", "customer", "member", "client", "usuario", "jogador", "cliente", "igrok"}
)
#: Words that make a name about something else (``offer_id``, ``aff_id``), unless a
#: field's own word is there too (``aff_click_id``).
_OTHER_WORDS = frozenset(
    {"offer", "campaign", "affiliate", "aff", "publisher", "pub", "source", "site", "zone"}
    | {"creative", "banner", "landing", "advertiser", "adv", "partner", "program", "brand"}
    | {"network", "placement", "ad", "app", "package", "wall", "title", "description"}
)
#: Words of a property, never an identity or an amount (``user_ip``, ``event_time``). A
#: name with a country word is read by ``_country`` first: the country, or nothing.
_PROPERTY_WORDS = frozenset(
    {"ip", "date", "time", "timestamp", "ts", "sign", "signature", "md5"}
    | {"token", "secret", "lang", "language", "os", "device", "agent", "ua", "url", "referer"}
    | {"debug", "test", "city", "region", "browser", "platform", "version", "sha1", "sha256"}
    | {"points", "point", "coins", "credits", "virtual", "vc"}
)
#: Words that say country, whoever's it is (``user_country``, ``conversion_country``).
_COUNTRY_WORDS = frozenset({"country", "strana", "страна", "pais"})
#: Words beside ``geo`` that keep it the country (``geo_code``): anything else makes it
#: a place or an object of its own (``geo_id``, ``geo_lat``, ``geo_city``).
_COUNTRY_FORMS = frozenset({"code", "iso", "iso2", "iso3", "alpha2", "alpha3", "name", "cc"})
#: A place finer than the country, or where on earth it is: ``country_region`` is none.
_PLACE_WORDS = frozenset(
    {"city", "region", "state", "province", "district", "zip", "postal", "postcode", "area"}
    | {"lat", "lon", "lng", "latitude", "longitude", "continent", "timezone", "tz", "metro"}
)

# -- names into words -------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[^\w]+|_+")
_TRAILING_NUMBER = re.compile(r"^(.*?[^\d])(\d+)$")


@lru_cache(maxsize=4096)
def words(name: str) -> tuple[str, ...]:
    """``aff_clickId`` -> ``("aff", "click", "id")``; accents and case do not matter."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _CAMEL.sub("_", text)
    return tuple(part for part in _SEPARATORS.split(text.casefold()) if part)


SUB_ID = "is a sub id, where networks return"
SUB_IDS = frozenset({"sub", "subid", "affsub", "subaff"})


@dataclass(frozen=True)
class Hint:
    """What one name says about one field."""

    field: str
    confidence: float
    why: str


@lru_cache(maxsize=4096)
def hints(name: str) -> tuple[Hint, ...]:
    """Every field ``name`` may carry, most likely first."""
    parts = words(name)
    if not parts:
        return ()
    compact = "".join(parts)
    country = _country(parts, compact)
    if country is not None:
        return country
    if set(parts) & _PROPERTY_WORDS:
        return ()
    found: list[Hint] = []
    if compact in SUB_IDS:
        found.append(Hint("click_id", 0.85, SUB_ID))
    elif compact in NAMES:
        field_name, confidence = NAMES[compact]
        found.append(Hint(field_name, confidence, "is a name networks use for"))
    else:
        found.extend(_numbered(compact) or _from_words(parts))
    if found and found[0].field == "payout_amount" and set(parts) & _AMOUNT_WORDS - {"total"}:
        # A bare amount beside a payout is the sale's: ``payout`` and ``amount`` together.
        found.append(Hint("gross_amount", found[0].confidence - 0.3, "may also be"))
    return tuple(found)


def _country(parts: tuple[str, ...], compact: str) -> tuple[Hint, ...] | None:
    """A name about the country: ``()`` when it names something of the country's that is
    not its code or name (``country_id`` is a network's own number, ``geo_lat`` a place),
    ``None`` when it says nothing of a country. Country words win over the click, user and
    conversion words beside them: ``click.country`` is the click's country, no click id."""
    present = set(parts)
    if not present & (_COUNTRY_WORDS | {"geo"}):
        return None
    if compact in NAMES:
        field_name, confidence = NAMES[compact]
        return (Hint(field_name, confidence, "is a name networks use for"),)
    others = present - _COUNTRY_WORDS - {"geo"}
    elsewhere = others & (_PLACE_WORDS | _PROPERTY_WORDS | _CURRENCY_WORDS) - {"ip"}
    if elsewhere or parts[-1] in _ID_WORDS - {"code"}:
        return ()
    if not present & _COUNTRY_WORDS and not others <= _COUNTRY_FORMS:
        return ()
    confidence = 0.75 if others & _OTHER_WORDS else 0.85
    return (Hint("country", confidence, "names"),)


def _numbered(compact: str) -> list[Hint]:
    """``sub7``, ``aff_sub3``, ``subid10``, ``s4``: the sub ids networks return, click id
    most often in the first."""
    match = _TRAILING_NUMBER.match(compact)
    if not match or match.group(1) not in (*SUB_IDS, "s"):
        return []
    number = int(match.group(2))
    if not 1 <= number <= 10:
        return []
    # CAKE-style networks return the click in s2 as often as others do in sub1.
    confidence = 0.85 if number == 1 or compact == "s2" else 0.55 - 0.02 * number
    return [Hint("click_id", confidence, SUB_ID)]


def _from_words(parts: tuple[str, ...]) -> list[Hint]:
    """A longer name read word by word: the words that decide, in order of strength."""
    present = set(parts)
    ends_in_id = parts[-1] in _ID_WORDS
    if present & _CURRENCY_WORDS:
        if "name" in present:  # an app's virtual currency: ``currency_name=Gems``
            return []
        gross = bool(present & _GROSS_WORDS) and not present & _PAYOUT_WORDS
        return [Hint("gross_currency" if gross else "payout_currency", 0.85, "names")]
    if present & _STATUS_WORDS:
        return [Hint("status", 0.85, "names")]
    if present & _CLICK_WORDS:
        return [Hint("click_id", 0.85, "names")]
    if present & _OTHER_WORDS and not present & (_TRANSACTION_WORDS | _USER_WORDS):
        return []
    if ends_in_id and present & _TRANSACTION_WORDS:
        return [Hint("transaction_id", 0.8, "names")]
    if ends_in_id and present & _USER_WORDS:
        return [Hint("external_user_id", 0.8, "names")]
    if present & _PAYOUT_WORDS:
        return [Hint("payout_amount", 0.8, "names")]
    if present & _AMOUNT_WORDS or present & {"deposit", "dep", "ftd"}:
        gross = bool(present & _GROSS_WORDS)
        return [Hint("gross_amount" if gross else "payout_amount", 0.7, "names")]
    if present & _EVENT_WORDS or parts[-1] in ("type", "action", "operation"):
        return [Hint("event_type", 0.75, "names")]
    if present & _USER_WORDS:
        return [Hint("external_user_id", 0.7, "names")]
    return []


# -- reading a URL --------------------------------------------------------------------------------

FIELD_WORDS = {
    "click_id": "click id",
    "event_type": "event",
    "status": "status",
    "transaction_id": "transaction id",
    "payout_amount": "payout",
    "payout_currency": "payout currency",
    "gross_amount": "sale amount",
    "gross_currency": "sale currency",
    "external_user_id": "user id",
    "country": "country",
}
#: Values a field cannot have when the URL carries values: ``payout=pending`` is no payout.
FITTING_SHAPES = {
    "payout_amount": {"decimal", "integer"},
    "gross_amount": {"decimal", "integer"},
    "payout_currency": {"currency"},
    "gross_currency": {"currency"},
}


@dataclass(frozen=True)
class FieldReading:
    """Which parameter carries one field, how sure the reader is, and why."""

    param: str
    confidence: float
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"param": self.param, "confidence": self.confidence, "reason": self.reason}


@dataclass(frozen=True)
class Reading:
    """The generic reader's answer for one URL."""

    fields: dict[str, FieldReading]
    #: Literal labels of the template and the canonical event each one means.
    event_map: dict[str, str] = field(default_factory=dict)

    @property
    def field_map(self) -> dict[str, str]:
        return {name: reading.param for name, reading in self.fields.items()}

    def to_dict(self) -> dict[str, object]:
        return {
            "field_map": self.field_map,
            "fields": {name: reading.to_dict() for name, reading in self.fields.items()},
            "event_map": dict(self.event_map),
        }


@dataclass(frozen=True)
class _Option:
    field: str
    confidence: float
    reason: str
    order: int
    param: str


def read(sample: Sample) -> Reading:
    """Map every field the URL's names and values support, each parameter once (but one
    currency may serve both amounts)."""
    options: list[_Option] = []
    for order, param in enumerate(sample.params):
        for option in _options(param, sample.is_template):
            options.append(_Option(*option, order, param.name))
    options.sort(key=lambda o: (-o.confidence, o.order))
    chosen: dict[str, FieldReading] = {}
    taken: set[str] = set()
    for option in options:
        if option.field in chosen or option.param in taken:
            continue
        chosen[option.field] = FieldReading(
            option.param, round(option.confidence, 2), option.reason
        )
        taken.add(option.param)
    _user_rewards(chosen)
    _share_currency(chosen)
    event_map = {}
    event = chosen.get("event_type")
    param = sample.param(event.param) if event is not None else None
    if param is not None and sample.is_template and not param.macros:
        label = param.value.strip()
        event_map[label] = _canonical_event(label) or "unknown"
    return Reading(_ordered(chosen), event_map)


def _options(param: Param, template: bool) -> list[tuple[str, float, str]]:
    """(field, confidence, reason) for one parameter, from its name, its macros' names and
    its value."""
    if _about_something_else(param.name):
        return []
    found: dict[str, tuple[float, str]] = {}

    def offer(field_name: str, confidence: float, reason: str) -> None:
        if confidence > found.get(field_name, (0.0, ""))[0]:
            found[field_name] = (confidence, reason)

    for hint in hints(param.name):
        offer(
            hint.field,
            hint.confidence,
            f"parameter “{param.name}” {hint.why} the {FIELD_WORDS[hint.field]}",
        )
    # A documented template names its parameters for what the receiving side expects;
    # the macro is the sender's own word, a little less telling when the two disagree.
    # A sub id in a macro is the network handing back what the affiliate passed on the
    # click: the click id, whatever the parameter is called (TUNE's ``transaction_id``).
    for macro in param.macros:
        for hint in hints(macro.name):
            agreed = hint.field in found
            if agreed:
                confidence = min(0.99, max(found[hint.field][0], hint.confidence) + 0.04)
            elif hint.why == SUB_ID:  # sub1 outweighs a parameter's name; sub7 does not
                confidence = min(0.97, hint.confidence + 0.12)
            else:
                confidence = hint.confidence * 0.95
            reason = f"macro {macro} {hint.why} the {FIELD_WORDS[hint.field]}"
            if agreed:
                reason = f"{found[hint.field][1]}, and {reason}"
            offer(hint.field, confidence, reason)
    if template and not param.macros and param.value.strip():
        return _literal(param, found)
    if not template:
        _weigh_value(param, found, offer)
    return [(name, confidence, reason) for name, (confidence, reason) in found.items()]


def _about_something_else(name: str) -> bool:
    """``user_ip``, ``event_time``, ``offer_id``: a property or another object's id."""
    parts = set(words(name))
    return bool(parts & (_PROPERTY_WORDS | _OTHER_WORDS)) and not hints(name)


def _literal(param: Param, found: dict[str, tuple[float, str]]) -> list[tuple[str, float, str]]:
    """A value typed into a template: the same on every postback of this URL, so it can
    only be the URL's event (when it is an event's name), its status, its currency or a
    fixed amount."""
    label = param.value.strip()
    options = []
    event = _canonical_event(label)
    if event or "event_type" in found:
        confidence, reason = found.get(
            "event_type", (0.7, f"its value “{label}” is the name of an event")
        )
        meaning = f" ({event})" if event else ""
        options.append(
            ("event_type", confidence, f"{reason}; the template fixes it to “{label}”{meaning}")
        )
    for name in ("status", "payout_currency", "gross_currency"):
        if name in found:
            options.append((name, *found[name]))
    if "country" in found and read_country(label).code:  # a URL per country: ``geo=BR``
        options.append(("country", *found["country"]))
    if value_shape(label) in ("decimal", "integer"):  # a fixed payout typed in: ``payout=2.50``
        options += [
            (name, *found[name]) for name in ("payout_amount", "gross_amount") if name in found
        ]
    return options


def _weigh_value(param: Param, found: dict[str, tuple[float, str]], offer) -> None:
    """An arrived URL: the value confirms or rules out what the name says, and a click
    token or a currency code speaks for itself."""
    shape = value_shape(param.value)
    for name in list(found):
        fitting = FITTING_SHAPES.get(name)
        if fitting and shape != "empty" and shape not in fitting:
            del found[name]
    if "country" in found and shape != "empty":
        _weigh_country(param.value.strip(), shape, found)
    if shape == "click_token":
        offer("click_id", 0.97, f"“{param.name}” holds one of our click tokens")
    elif shape == "currency":
        offer("payout_currency", 0.6, f"“{param.name}” holds a currency code")
    elif shape == "event_label":
        offer("event_type", 0.6, f"“{param.name}” holds an event label")
    elif shape == "status_label" and "event_type" not in found:
        offer("status", 0.6, f"“{param.name}” holds a status label")


#: Shapes no country takes: ``country=12.50`` or a long id under a country's name is
#: something else, whatever the name says.
_NOT_COUNTRY_SHAPES = frozenset(
    {"decimal", "integer", "identifier", "click_token", "currency", "event_label", "status_label"}
)


def _weigh_country(value: str, shape: str, found: dict[str, tuple[float, str]]) -> None:
    """A value that reads as a country confirms the name; an amount, an id or a label
    rules it out. A three-digit ISO number proves nothing either way (``100`` is also an
    amount), nor does a network's "unknown" (``XX``, ``unknown``), and a word the hub
    cannot read (``Deutschland``) leaves the name to speak."""
    confidence, reason = found["country"]
    reading = read_country(value)
    if reading.code and not value.isdigit():
        found["country"] = (
            min(0.99, confidence + 0.04),
            f"{reason}, and its value “{value[:24]}” reads as a country ({reading.code})",
        )
    elif reading.problem and (shape in _NOT_COUNTRY_SHAPES or any(c.isdigit() for c in value)):
        del found["country"]


def _canonical_event(label: str) -> str | None:
    folded = "_".join(words(label))
    return EVENT_SYNONYMS.get(folded) or EVENT_SYNONYMS.get(folded.replace("_", ""))


#: Names an offerwall gives the user's reward in the app's own currency.
_REWARD_NAMES = frozenset(
    {"amount", "sum", "value", "amt", "reward", "rewards", "currency", "cur", "ccy", "curr"}
)


def _user_rewards(chosen: dict[str, FieldReading]) -> None:
    """A callback about a user with no click id is an offerwall's or a rewarded ad's: its
    bare ``amount`` and ``currency`` are the user's reward in the app's own coins, not
    money (what the publisher earns is named ``payout`` or ``revenue``)."""
    if "external_user_id" not in chosen or "click_id" in chosen:
        return
    for name in ("payout_amount", "gross_amount", "payout_currency", "gross_currency"):
        reading = chosen.get(name)
        if reading is not None and "".join(words(reading.param)) in _REWARD_NAMES:
            del chosen[name]


def _share_currency(chosen: dict[str, FieldReading]) -> None:
    """One currency parameter goes with the amounts there are: both, when the URL carries
    both; the sale's alone, when only the sale amount is there."""
    amounts = {"payout_amount", "gross_amount"} & chosen.keys()
    currencies = {"payout_currency", "gross_currency"} & chosen.keys()
    if len(currencies) != 1 or not amounts:
        return
    [present] = currencies
    currency = chosen[present]
    if amounts == {"gross_amount"} and present == "payout_currency":
        del chosen["payout_currency"]
        chosen["gross_currency"] = FieldReading(
            currency.param,
            currency.confidence,
            f"“{currency.param}” is the URL's only currency, and the only amount is the sale's",
        )
    elif len(amounts) == 2:
        missing = ({"payout_currency", "gross_currency"} - currencies).pop()
        chosen[missing] = FieldReading(
            currency.param,
            round(currency.confidence * 0.8, 2),
            f"“{currency.param}” is the URL's only currency, so it serves both amounts",
        )


def _ordered(chosen: dict[str, FieldReading]) -> dict[str, FieldReading]:
    return {name: chosen[name] for name in FIELD_WORDS if name in chosen}
