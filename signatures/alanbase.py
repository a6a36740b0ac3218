"""Alanbase (affiliate platform, CPA and iGaming): postbacks not verifiable.

Docs: none found. Alanbase's own documentation of partner (affiliate) postbacks could
not be found in any searchable public copy, nor could a tracker's integration guide that
quotes its macros.

Not verifiable: every macro name and its syntax, the click-id macro, the event, status,
payout, currency and deposit macros. Nothing is declared, so Alanbase is never
recognised from a template (rather than guessed from generic ``{click_id}`` or
``{payout}`` names, which would steal other networks' URLs). Add the macros with a
citation once the documentation can be read.
"""

from plugins import Signature, hookimpl


@hookimpl
def pbhub_signatures() -> list[Signature]:
    """Nothing to register until the macros can be cited (see above)."""
    return []
