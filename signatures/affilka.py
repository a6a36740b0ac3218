"""Affilka by SOFTSWISS (iGaming affiliate platform): postbacks not verifiable.

Docs: https://wiki.affilka.net/en/home/affiliate-interface-manual

Verified: affiliates manage postbacks per campaign (a Campaign page lists its promos
and postbacks).

Not verifiable: the public manual's postback section (macro names, their syntax, the
events offered) is not in any stored copy that could be searched, so no macro, event or
status is declared and Affilka is never recognised from a template. Do not fill this
in from memory: add the macros with a citation once the postback page can be read.
"""

from plugins import Signature, hookimpl

DOCS = ("https://wiki.affilka.net/en/home/affiliate-interface-manual",)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    """Nothing to register until the macros can be cited (see above)."""
    return []
