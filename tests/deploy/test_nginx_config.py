"""deploy/nginx.conf exposes only the public doors: parsed here and its location matching replayed.

The config uses only exact (``=``) and plain prefix locations (checked below), for which nginx's
choice is: an exact match if any, else the longest matching prefix. That rule is replayed for
allowed and denied paths; header inheritance (a location with any ``proxy_set_header`` inherits
none of the server's) is checked for every proxied location.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
RASA, WEB, DENIED = "esea_rasa", "esea_web", "denied"


@dataclass
class Block:
    """One directive; blocks (server, location, upstream) have children."""

    name: str
    args: list[str]
    children: list[Block] = field(default_factory=list)

    def all(self, name: str) -> list[Block]:
        return [c for c in self.children if c.name == name]

    def one(self, name: str) -> Block | None:
        found = self.all(name)
        return found[0] if found else None


def tokens(text: str) -> list[str]:
    """nginx tokens: words, quoted strings, ``;``, ``{``, ``}`` (comments dropped)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
        elif ch in ";{}":
            out.append(ch)
            i += 1
        elif ch in "'\"":
            end = text.index(ch, i + 1)
            out.append(text[i + 1:end])
            i = end + 1
        else:
            start = i
            while i < len(text) and not text[i].isspace() and text[i] not in ";{}#":
                i += 1
            out.append(text[start:i])
    return out


def parse(text: str) -> Block:
    """The config as a tree of directives."""
    root = Block("root", [])
    stack, words = [root], []
    for tok in tokens(text):
        if tok == ";":
            stack[-1].children.append(Block(words[0], words[1:]))
            words = []
        elif tok == "{":
            block = Block(words[0], words[1:])
            stack[-1].children.append(block)
            stack.append(block)
            words = []
        elif tok == "}":
            assert not words, f"unterminated directive {words}"
            stack.pop()
        else:
            words.append(tok)
    assert len(stack) == 1 and not words, "unbalanced braces"
    return root


@pytest.fixture(scope="module")
def config() -> Block:
    return parse(CONFIG.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tls_server(config: Block) -> Block:
    servers = [s for s in config.all("server") if any("443" in d.args[0] for d in s.all("listen"))]
    assert len(servers) == 1
    return servers[0]


def route(server: Block, path: str) -> str:
    """Where nginx sends ``path``: the upstream name, or DENIED."""
    exact, prefixes = {}, {}
    for loc in server.all("location"):
        if len(loc.args) == 2:
            assert loc.args[0] == "=", f"only exact and prefix locations: {loc.args}"
            exact[loc.args[1]] = loc
        else:
            assert len(loc.args) == 1 and loc.args[0].startswith("/"), loc.args
            prefixes[loc.args[0]] = loc
    loc = exact.get(path)
    if loc is None:
        matching = [p for p in prefixes if path.startswith(p)]
        assert matching, f"no location for {path}"
        loc = prefixes[max(matching, key=len)]
    target = loc.one("proxy_pass")
    if target is None:
        ret = loc.one("return")
        assert ret is not None and ret.args[0] in ("403", "404"), f"{path}: neither proxy nor deny"
        return DENIED
    url = target.args[0]
    assert url.startswith("http://") and url.count("/") == 2, f"{path}: proxy_pass {url}"
    return url.removeprefix("http://")


ALLOWED = {
    # Rasa: the widget's socket.io and the channels' webhooks.
    "/socket.io/": RASA,
    "/socket.io/?EIO=4&transport=polling": RASA,
    "/webhooks/twilio/webhook": RASA,
    "/webhooks/telegram_ptb/webhook": RASA,
    "/webhooks/socketio/erase": RASA,
    # The web service's public pages.
    "/": WEB,
    "/neutral": WEB,
    "/config.json": WEB,
    "/widget.js": WEB,
    "/widget.css": WEB,
    "/page.css": WEB,
    "/forecast.css": WEB,
    "/vendor/socket.io.min.js": WEB,
    # The staff console (guarded by login, CSRF and Origin checks in the service).
    "/login": WEB,
    "/logout": WEB,
    "/console": WEB,
    "/console/cases/ABCD-EFGH": WEB,
    "/console/static/console.js": WEB,
    "/api/queue": WEB,
    "/api/live/ws": WEB,
}

DENIED_PATHS = [
    # Rasa's HTTP API, whatever the spelling of the path.
    "/conversations/x/tracker",
    "/conversations/x/tracker/events",
    "/conversations/x/execute",
    "/conversations/x/trigger_intent",
    "/conversations/x/messages",
    "/conversations/x/story",
    "/model",
    "/model/parse",
    "/model/train",
    "/domain",
    "/status",
    "/version",
    "/webhooks/rest/webhook",
    "/webhooks/",
    "/webhooks/callback/webhook",
    "/socket.io",  # only the prefix with its slash
    # Web service internals and anything unknown.
    "/health",
    "/webhook",
    "/actions",
    "/.env",
    "/var/secrets/rasa_token",
    "/widget.js.map",
    "/index.html",
]


@pytest.mark.parametrize(("path", "upstream"), sorted(ALLOWED.items()))
def test_public_doors_reach_the_right_process(tls_server: Block, path: str, upstream: str) -> None:
    assert route(tls_server, path.split("?")[0]) == upstream


@pytest.mark.parametrize("path", DENIED_PATHS)
def test_everything_else_is_closed(tls_server: Block, path: str) -> None:
    assert route(tls_server, path) == DENIED


def test_only_the_listed_prefixes_reach_rasa(tls_server: Block) -> None:
    to_rasa = sorted(
        " ".join(loc.args) for loc in tls_server.all("location")
        if (p := loc.one("proxy_pass")) is not None and p.args[0] == f"http://{RASA}"
    )
    assert to_rasa == ["/socket.io/", "/webhooks/socketio/", "/webhooks/telegram_ptb/",
                       "/webhooks/twilio/"]


def test_upstreams_are_loopback_and_the_action_server_is_never_one(config: Block) -> None:
    upstreams = {u.args[0]: u for u in config.all("upstream")}
    assert set(upstreams) == {RASA, WEB}
    for upstream in upstreams.values():
        for server in upstream.all("server"):
            assert server.args[0].startswith("127.0.0.1:")
            assert not server.args[0].endswith(":5055")


def test_every_proxied_location_passes_the_client_address(tls_server: Block) -> None:
    """nginx: a location with any proxy_set_header inherits none of the server's."""
    server_headers = {d.args[0] for d in tls_server.all("proxy_set_header")}
    assert {"Host", "X-Forwarded-For", "X-Forwarded-Proto"} <= server_headers
    for loc in tls_server.all("location"):
        if loc.one("proxy_pass") is None:
            continue
        own = {d.args[0] for d in loc.all("proxy_set_header")}
        effective = own or server_headers
        assert {"Host", "X-Forwarded-For", "X-Forwarded-Proto"} <= effective, loc.args


def test_websocket_locations_upgrade(tls_server: Block) -> None:
    for prefix in ("/socket.io/", "/api/"):
        loc = next(loc for loc in tls_server.all("location") if loc.args == [prefix])
        headers = {d.args[0]: d.args[1] for d in loc.all("proxy_set_header")}
        assert headers["Upgrade"] == "$http_upgrade"
        assert headers["Connection"] == "$connection_upgrade"


def test_plain_http_only_redirects(config: Block) -> None:
    plain = [s for s in config.all("server") if not any("443" in d.args[0] for d in s.all("listen"))]
    assert plain
    for server in plain:
        for loc in server.all("location"):
            assert loc.one("proxy_pass") is None
            assert loc.one("return").args[0] == "301"


def test_tls_and_a_bounded_body(tls_server: Block) -> None:
    assert all("ssl" in d.args for d in tls_server.all("listen"))
    assert tls_server.one("ssl_certificate") is not None
    assert tls_server.one("client_max_body_size").args == ["1m"]
    assert tls_server.one("server_tokens").args == ["off"]
