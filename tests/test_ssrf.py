"""The SSRF guard: private targets are refused after resolution, unless allowed.

A fake resolver stands in for DNS, so no test touches the network.
"""

import ipaddress

import pytest

from app.outbound.ssrf import (
    SETTING,
    Allowed,
    Refused,
    Unresolvable,
    check_url,
    forbidden_reason,
    parse_allowed,
)

NOTHING = parse_allowed("")


def resolver(table):
    """A resolver answering from ``table`` (name -> addresses) and recording calls."""

    def resolve(host, port):
        resolve.calls.append((host, port))
        if host not in table:
            raise OSError(f"[Errno -2] Name or service not known: {host}")
        return list(table[host])

    resolve.calls = []
    return resolve


def refuse(url, allowed=NOTHING, table=None):
    with pytest.raises(Refused) as caught:
        check_url(url, allowed, resolver(table or {}))
    return caught.value


FORBIDDEN = [
    ("127.0.0.1", "loopback"),
    ("127.255.0.9", "loopback"),
    ("::1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.1.10", "private"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("169.254.10.20", "link-local"),
    ("fe80::1", "link-local"),
    ("169.254.169.254", "cloud metadata"),
    ("fd00:ec2::254", "cloud metadata"),
    ("0.0.0.0", "unspecified"),  # noqa: S104 (an address to refuse, not to bind)
    ("::", "unspecified"),
    ("224.0.0.251", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.0.0.1", "private"),
    ("::ffff:169.254.169.254", "cloud metadata"),
    ("64:ff9b::a9fe:a9fe", "cloud metadata"),
    ("2002:c0a8:0101::1", "private"),
]


@pytest.mark.parametrize(("address", "why"), FORBIDDEN)
def test_a_name_resolving_to_a_forbidden_address_is_refused(address, why):
    refused = refuse("https://hooks.example.com/in", table={"hooks.example.com": [address]})
    assert why in str(refused)
    assert refused.host == "hooks.example.com"
    assert refused.address == str(ipaddress.ip_address(address))


@pytest.mark.parametrize(("address", "why"), FORBIDDEN)
def test_a_forbidden_literal_address_is_refused_without_resolving(address, why):
    host = f"[{address}]" if ":" in address else address
    resolve = resolver({})
    with pytest.raises(Refused, match=why):
        check_url(f"http://{host}:8080/x", NOTHING, resolve)
    assert resolve.calls == []


def test_the_refusal_says_which_host_which_address_why_and_which_setting():
    refused = refuse(
        "https://internal.example/x?token=SECRET", table={"internal.example": ["10.9.8.7"]}
    )
    message = str(refused)
    assert "internal.example" in message and "10.9.8.7" in message
    assert "private" in message and SETTING in message
    assert "SECRET" not in message  # the URL's query may carry credentials


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_a_public_address_is_allowed_and_returned(address):
    resolve = resolver({"hooks.example.com": [address]})
    assert check_url("https://hooks.example.com/in", NOTHING, resolve) == [address]
    assert resolve.calls == [("hooks.example.com", 443)]


def test_the_port_given_to_the_resolver_follows_the_url():
    resolve = resolver({"hooks.example.com": ["93.184.216.34"]})
    check_url("http://hooks.example.com/in", NOTHING, resolve)
    check_url("http://hooks.example.com:8443/in", NOTHING, resolve)
    assert [port for _, port in resolve.calls] == [80, 8443]


def test_a_public_literal_address_is_allowed():
    assert check_url("http://8.8.8.8/x", NOTHING, resolver({})) == ["8.8.8.8"]
    assert check_url("http://[2606:4700::1111]/x", NOTHING, resolver({})) == ["2606:4700::1111"]


def test_a_name_resolving_to_public_and_private_addresses_is_refused():
    table = {"mixed.example": ["93.184.216.34", "2606:4700::1111", "10.0.0.5"]}
    refused = refuse("https://mixed.example/", table=table)
    assert refused.address == "10.0.0.5"


def test_all_resolved_addresses_are_returned_once_each():
    table = {"hooks.example.com": ["93.184.216.34", "93.184.216.34", "2606:4700::1111"]}
    addresses = check_url("https://hooks.example.com/", NOTHING, resolver(table))
    assert addresses == ["93.184.216.34", "2606:4700::1111"]


def test_an_allowed_host_name_skips_the_address_check():
    allowed = parse_allowed("localhost,hooks.lan")
    table = {"localhost": ["127.0.0.1", "::1"], "hooks.lan": ["192.168.1.20"]}
    assert check_url("http://localhost:5000/x", allowed, resolver(table)) == ["127.0.0.1", "::1"]
    assert check_url("http://HOOKS.LAN./x", allowed, resolver(table)) == ["192.168.1.20"]


def test_an_allowed_host_name_does_not_allow_other_names_on_the_same_address():
    allowed = parse_allowed("hooks.lan")
    refuse("http://other.lan/x", allowed, table={"other.lan": ["192.168.1.20"]})


def test_an_address_inside_an_allowed_network_is_let_through():
    allowed = parse_allowed("10.0.0.0/8,fd00::/8")
    table = {"svc.internal": ["10.20.30.40", "fd00::20"]}
    assert check_url("http://svc.internal/x", allowed, resolver(table)) == [
        "10.20.30.40",
        "fd00::20",
    ]
    assert check_url("http://10.1.1.1/x", allowed, resolver({})) == ["10.1.1.1"]


def test_an_allowed_network_covers_the_ipv4_mapped_form_too():
    allowed = parse_allowed("127.0.0.0/8")
    assert check_url("http://[::ffff:127.0.0.1]/x", allowed, resolver({})) == ["::ffff:7f00:1"]


def test_an_address_outside_the_allowed_networks_is_still_refused():
    allowed = parse_allowed("10.0.0.0/8")
    refuse("http://svc.internal/x", allowed, table={"svc.internal": ["10.0.0.1", "192.168.0.1"]})
    refuse("http://169.254.169.254/latest/meta-data/", allowed)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/x",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_INFO",
        "javascript:alert(1)",
        "hooks.example.com/x",
        "//hooks.example.com/x",
    ],
)
def test_a_scheme_other_than_http_or_https_is_refused(url):
    assert "scheme" in str(refuse(url))


def test_an_empty_url_is_refused():
    assert "empty" in str(refuse(""))


def test_an_uppercase_scheme_is_accepted():
    table = {"hooks.example.com": ["93.184.216.34"]}
    assert check_url("HTTPS://hooks.example.com/", NOTHING, resolver(table)) == ["93.184.216.34"]


@pytest.mark.parametrize(
    "url",
    ["http:///x", "http://:80/x", "http://user@/x", "https://?q=1"],
)
def test_a_url_without_a_host_is_refused(url):
    assert "no host" in str(refuse(url))


@pytest.mark.parametrize("url", ["http://hooks.example.com:99999/", "http://hooks.example.com:x/"])
def test_a_bad_port_is_refused(url):
    refuse(url, table={"hooks.example.com": ["93.184.216.34"]})


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",  # decimal
        "http://0x7f000001/",  # hex
        "http://0x7f.1/",  # hex, short form
        "http://0177.0.0.1/",  # octal
        "http://127.1/",  # short form
        "http://017700000001/",  # octal, one number
        "http://0x7f.0x0.0x0.0x1/",
        "http://0xa9.0xfe.0xa9.0xfe/",  # 169.254.169.254
        "http://3232235777/",  # 192.168.1.1
        "http://0/",  # 0.0.0.0
        "http://127.0.0.1./",  # trailing dot
    ],
)
def test_decimal_hex_and_octal_ipv4_literals_are_normalised_and_refused(url):
    resolve = resolver({})
    with pytest.raises(Refused):
        check_url(url, NOTHING, resolve)
    assert resolve.calls == []


def test_the_refusal_of_an_odd_literal_names_the_real_address():
    assert "0x7f.1 (= 127.0.0.1)" in str(refuse("http://0x7f.1/"))


def test_an_invalid_numeric_host_is_refused():
    refuse("http://1.2.3.4.5/")
    refuse("http://0x1ffffffff/")


@pytest.mark.parametrize(
    "url",
    [
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[0:0:0:0:0:ffff:127.0.0.1]:8080/",
    ],
)
def test_ipv4_mapped_ipv6_loopback_is_refused(url):
    assert "127.0.0.1" in str(refuse(url))


def test_an_ipv4_compatible_ipv6_loopback_is_refused():
    refuse("http://[::127.0.0.1]/")


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com\\@127.0.0.1/",  # parsers disagree on the host
        "http://evil.example@127.0.0.1@hooks.example.com/",
        "http://hooks.exa mple.com/",
        "http://hooks.example.com\t/",
        "http://hooks.exa\nmple.com/",
        " http://127.0.0.1/",
        "http://%31%32%37.0.0.1/",  # percent-encoded host
        "http://[fe80::1%25eth0]/",  # zone id
    ],
)
def test_an_ambiguous_url_is_refused(url):
    refuse(url, table={"hooks.example.com": ["93.184.216.34"]})


def test_a_user_and_password_in_the_url_do_not_change_the_host():
    table = {"hooks.example.com": ["93.184.216.34"]}
    assert check_url("https://u:p@hooks.example.com/", NOTHING, resolver(table)) == [
        "93.184.216.34"
    ]
    refuse("https://hooks.example.com@127.0.0.1/", table=table)


def test_an_internationalised_name_is_resolved_in_its_ascii_form():
    resolve = resolver({"localhost": ["127.0.0.1"]})
    with pytest.raises(Refused):
        fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "LOCALHOST")
        check_url(f"http://{fullwidth}/", NOTHING, resolve)
    assert resolve.calls == [("localhost", 80)]


def test_a_name_that_does_not_resolve_is_unresolvable_not_refused():
    with pytest.raises(Unresolvable, match=r"nowhere\.example"):
        check_url("https://nowhere.example/", NOTHING, resolver({}))


def test_a_resolver_answering_nothing_is_unresolvable():
    with pytest.raises(Unresolvable):
        check_url("https://empty.example/", NOTHING, resolver({"empty.example": []}))


def test_a_resolved_link_local_address_with_a_zone_is_refused():
    refuse("https://hooks.example.com/", table={"hooks.example.com": ["fe80::1%eth0"]})


def test_parse_allowed_reads_host_names_ips_and_networks():
    allowed = parse_allowed(" localhost, 10.0.0.0/8 ,Hooks.LAN,192.168.1.5,[::1],, fd00::/8 ")
    assert allowed.hosts == frozenset({"localhost", "hooks.lan"})
    assert [str(n) for n in allowed.networks] == [
        "10.0.0.0/8",
        "192.168.1.5/32",
        "::1/128",
        "fd00::/8",
    ]


@pytest.mark.parametrize("value", [None, "", " , ,"])
def test_parse_allowed_of_nothing_allows_nothing(value):
    assert parse_allowed(value) == Allowed()


@pytest.mark.parametrize(
    "value",
    ["10.0.0.0/33", "10.0.0.1/8", "300.1.2.3/8", "10.0.0.0/x", "localhost,fd00::/129", "127.1"],
)
def test_parse_allowed_refuses_a_bad_cidr(value):
    with pytest.raises(ValueError, match=SETTING) as caught:
        parse_allowed(value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("value", ["*.example.com", "hooks lan", "localhost:8080", "-bad-.lan"])
def test_parse_allowed_refuses_what_is_neither_a_host_nor_a_network(value):
    with pytest.raises(ValueError, match=SETTING):
        parse_allowed(value)


def test_the_allowed_setting_is_immutable():
    allowed = parse_allowed("localhost,10.0.0.0/8")
    with pytest.raises(AttributeError):
        allowed.hosts = frozenset()  # type: ignore[misc]
    assert hash(allowed) == hash(parse_allowed("localhost,10.0.0.0/8"))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_forbidden_reason_is_none_for_a_public_address(address):
    assert forbidden_reason(ipaddress.ip_address(address)) is None
