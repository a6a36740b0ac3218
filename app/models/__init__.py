"""Database models, one module per aggregate. Import from here."""

from app.models.clicks import Click
from app.models.conversions import Conversion, RejectedPostback, StatusChange
from app.models.keitaro import KeitaroConnection, KeitaroObject, KeitaroSyncRun
from app.models.outbound import Delivery, DeliveryAttempt, OutboundPostback
from app.models.signatures import AdminSignature, Capture, Remap, Ticket
from app.models.sources import Source
from app.models.stats import (
    ClickRollup,
    ConversionRollup,
    CountryRollup,
    DirtyHour,
    StatsState,
)
from app.models.users import ApiToken, User

__all__ = [
    "AdminSignature",
    "ApiToken",
    "Capture",
    "Click",
    "ClickRollup",
    "Conversion",
    "ConversionRollup",
    "CountryRollup",
    "Delivery",
    "DeliveryAttempt",
    "DirtyHour",
    "KeitaroConnection",
    "KeitaroObject",
    "KeitaroSyncRun",
    "OutboundPostback",
    "RejectedPostback",
    "Remap",
    "Source",
    "StatsState",
    "StatusChange",
    "Ticket",
    "User",
]
