"""Every kind of bad answer, and the message Copier refuses it with.

Shared by the `-d` tests (test_validators.py) and the terminal tests
(test_interactive.py). A message's first line is all a terminal shows: one row, cut
at column 80, so it says what is allowed and shows the answer; the lines after it
give the reason to someone who answered with `-d`.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 80
FOLDERS = {"package_path": "src/app", "tests_path": "tests"}
IDENTIFIER_FOLDERS = (
    "package_path folders are Python identifiers: letters, digits and underscores, "
    "not starting with a digit"
)
RESERVED_FOLDER = (
    "package_path folders cannot be a name Python reserves, such as class or __debug__"
)
DOTTED_NAME = "import_path is Python identifiers joined by dots, such as app or backend.app"
RESERVED_PART = "import_path parts cannot be a name Python reserves, such as class or __debug__"
PACKAGE_END = (
    "import_path is package_path's last folders joined by dots; for src/shop: shop, src.shop"
)
TESTS_FOLDERS = (
    "tests_path folders hold only letters, digits, '_' and '-', and do not start with '-'"
)
TOKEN = (
    "cookie_name holds letters, digits and !#$%&'*+-.^_`|~ only (no spaces, quotes, "
    "commas, semicolons, '=' or '/')"
)
PREFIX_NEEDS_SECURE = (
    "browsers drop a cookie named __Host-... or __Secure-... (in any case) without Secure"
)
HOST_PREFIX_DOMAIN = "browsers drop a cookie named __Host-... (in any case) that has a Domain"
OWN_COOKIE = "pick a name of its own, such as app_session, so both cookies can coexist"
HOST_NAME = "cookie_domain is a host name such as example.com: letters, digits, '-' and dots"
SINGLE_LABEL = "browsers drop a cookie whose Domain is a single label such as com or localhost"
IP_ADDRESS = (
    "browsers keep a cookie for an IP address only without a Domain: leave cookie_domain empty"
)
DURATION = (
    "max_age is whole seconds, or a whole number of s, m, h or d (1209600 or 14d for 14 days)"
)
AT_MOST_400_DAYS = "browsers keep a cookie at most 400 days (34560000 seconds)"
MAPPING = (
    "session_fields is a non-empty mapping of field name to type, such as "
    "{cart_id: str, user_id: int}"
)
FIELD_NAME = (
    "session_fields keys are Python identifiers: letters, digits and underscores, "
    "not starting with a digit"
)
RESERVED_FIELD = "session_fields keys cannot be a name Python reserves, such as class or __debug__"
TYPES = (
    "session_fields types are str, int, float, bool, list[str], list[int], list[float], "
    "list[bool], each optionally followed by | None"
)
ABSOLUTE_LIMIT = (
    "absolute_max_age is 0 (no limit) or at least max_age, in seconds: a session "
    "cannot end before its cookie does"
)
NOT_MIGRATING = (
    "migrate_from_native moves users from a cookie session of the framework: bottle has "
    "none it can read (flask, quart, starlette, fastapi, litestar, django, pyramid, aiohttp "
    "have one)"
)
EARLIER_FORMS = (
    "previous_cookies lists earlier forms of the cookie, such as [{serializer: json}], "
    "[{encrypt: false}] or [{cookie_name: sid}]; [] for none"
)
LONG_DOMAIN = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 57]) + ".com"


@dataclass(frozen=True)
class Refusal:
    """Answers (as `-d key=value` strings) that Copier must refuse, and its message.

    question is the one refused; the other answers in data are what makes this value
    wrong. A choice's own validator disables it: Copier then says "Invalid choice".
    """

    id: str
    data: dict[str, str]
    question: str
    message: str
    detail: str = ""
    choice: bool = False

    @property
    def error(self) -> str:
        """The whole text of Copier's error."""
        first = (
            f"Invalid choice for '{self.question}': {self.message}"
            if self.choice
            else f"Validation error for question '{self.question}': {self.message}"
        )
        return f"{first}\n{self.detail}" if self.detail else first

    @property
    def row(self) -> str:
        """The error's first line: what a terminal shows of it."""
        return self.error.split("\n", 1)[0]

    @property
    def typed(self) -> str:
        """The refused answer."""
        return self.data[self.question]

    @property
    def context(self) -> dict[str, str]:
        """The earlier answers that make it wrong."""
        return {key: value for key, value in self.data.items() if key != self.question}


def folder_refusals(question: str, parts: str, detail: str) -> list[Refusal]:
    """The refusals both folder questions share, then one for a part that is not allowed."""
    example = FOLDERS[question]
    return [
        Refusal(
            f"{question}-empty", {question: ""}, question, f"a folder such as {example}, not ''"
        ),
        Refusal(
            f"{question}-absolute",
            {question: "/srv/app"},
            question,
            "a relative folder, not '/srv/app'",
            f"{question} is relative to the project root, such as {example}",
        ),
        Refusal(
            f"{question}-drive",
            {question: "C:/shop"},
            question,
            "a relative folder, not 'C:/shop'",
            f"{question} is relative to the project root, such as {example}",
        ),
        Refusal(
            f"{question}-dotdot",
            {question: "src/../x"},
            question,
            "no '..' in it, not 'src/../x'",
            f"{question} must be a folder inside the project, such as {example}",
        ),
        *(
            Refusal(
                f"{question}-{label}",
                {question: value},
                question,
                f"no '//' or end '/', not '{value}'",
                f"{question} is folder names joined by single slashes, such as {example}",
            )
            for label, value in [("trailing-slash", "src/app/"), ("double-slash", "a//b")]
        ),
        *(
            Refusal(
                f"{question}-{label}",
                {question: value},
                question,
                f"{parts}, not {shown}",
                detail,
            )
            for label, value, shown in [
                ("space", "my app", "'my app'"),
                ("dot", ".", "'.'"),
                ("final-newline", "app\n", '"app\\n"'),
                ("inner-tab", "src/a\tb", '"a\\tb"'),
                ("nested-bad-part", "lib/web ui/x", "'web ui'"),
            ]
        ),
    ]


REFUSALS = [
    Refusal(
        "migrate_from_native-not-asked",
        {"framework": "bottle", "migrate_from_native": "true"},
        "migrate_from_native",
        "false here, not 'true'",
        NOT_MIGRATING,
    ),
    Refusal(
        "previous_cookies-not-a-list",
        {"previous_cookies": "json"},
        "previous_cookies",
        "a list, not 'json'",
        EARLIER_FORMS,
    ),
    Refusal(
        "previous_cookies-form-not-a-map",
        {"previous_cookies": "[json]"},
        "previous_cookies",
        "maps, not 'json'",
        EARLIER_FORMS,
    ),
    Refusal(
        "previous_cookies-unknown-key",
        {"previous_cookies": "[{max_age: 60}]"},
        "previous_cookies",
        "known keys, not 'max_age'",
        "a form names its serializer, encrypt or cookie_name; what it leaves out is as now",
    ),
    Refusal(
        "previous_cookies-unknown-serializer",
        {"previous_cookies": "[{serializer: pickle}]"},
        "previous_cookies",
        "a serializer, not 'pickle'",
        "serializer is one of json, orjson, msgpack, cbor2",
    ),
    Refusal(
        "previous_cookies-encrypt-not-yes-no",
        {"previous_cookies": "[{encrypt: maybe}]"},
        "previous_cookies",
        "true/false, not 'maybe'",
        "encrypt is true or false",
    ),
    Refusal(
        "previous_cookies-not-a-cookie-name",
        {"previous_cookies": "[{cookie_name: my sid}]"},
        "previous_cookies",
        "a cookie name, not 'my sid'",
        "cookie_name is the earlier name of the cookie: an RFC 6265 token, not an "
        "attribute's name (Path, Max-Age...) nor starting with $",
    ),
    Refusal(
        "previous_cookies-an-attribute-name",
        {"previous_cookies": "[{cookie_name: Max-Age}]"},
        "previous_cookies",
        "a cookie name, not 'Max-Age'",
        "cookie_name is the earlier name of the cookie: an RFC 6265 token, not an "
        "attribute's name (Path, Max-Age...) nor starting with $",
    ),
    Refusal(
        "cookie_name-an-attribute-name",
        {"cookie_name": "Path"},
        "cookie_name",
        "a name of its own, not 'Path'",
        "cookie_name is not a cookie attribute's name (Path, Expires, Max-Age...) and does not "
        "start with $: Python's http.cookies, which Django reads cookies with, refuses those",
    ),
    Refusal(
        "cookie_name-a-leading-dollar",
        {"cookie_name": "$sid"},
        "cookie_name",
        "a name of its own, not '$sid'",
        "cookie_name is not a cookie attribute's name (Path, Expires, Max-Age...) and does not "
        "start with $: Python's http.cookies, which Django reads cookies with, refuses those",
    ),
    Refusal(
        "previous_cookies-the-current-form",
        {
            "serializer": "msgpack",
            "encrypt": "false",
            "previous_cookies": "[{serializer: msgpack}]",
        },
        "previous_cookies",
        "'msgpack' is as now",
        "that form (msgpack, signed, __Host-app_session) is the current one, read already",
    ),
    Refusal(
        "previous_cookies-a-form-twice",
        {"previous_cookies": "[{serializer: cbor2}, {serializer: cbor2, encrypt: false}]"},
        "previous_cookies",
        "'cbor2' twice",
        "that form (cbor2, signed, __Host-app_session) is listed twice",
    ),
    *folder_refusals("package_path", "Python identifiers", IDENTIFIER_FOLDERS),
    *(
        Refusal(
            f"package_path-{label}",
            {"package_path": value},
            "package_path",
            f"Python identifiers, not '{part}'",
            IDENTIFIER_FOLDERS,
        )
        for label, value, part in [
            ("dash", "my-app", "my-app"),
            ("nested-dash", "src/web-ui/x", "web-ui"),
            ("leading-digit", "2shop", "2shop"),
        ]
    ),
    *(
        Refusal(
            f"package_path-{label}",
            {"package_path": value},
            "package_path",
            f"no Python keyword, not '{part}'",
            RESERVED_FOLDER,
        )
        for label, value, part in [
            ("keyword", "src/class", "class"),
            ("debug", "__debug__", "__debug__"),
        ]
    ),
    *(
        Refusal(
            f"import_path-{label}",
            {"import_path": value},
            "import_path",
            f"dotted identifiers, not {shown}",
            DOTTED_NAME,
        )
        for label, value, shown in [
            ("empty", "", "''"),
            ("folder", "backend/app", "'backend/…'"),
            ("dash", "my-app", "'my-app'"),
            ("trailing-dot", "app.", "'app.'"),
            ("leading-digit", "app.2shop", "'2shop'"),
        ]
    ),
    Refusal(
        "import_path-keyword",
        {"import_path": "class"},
        "import_path",
        "no Python keyword, not 'class'",
        RESERVED_PART,
    ),
    Refusal(
        "import_path-not-the-package-end",
        {"package_path": "src/shop", "import_path": "foo"},
        "import_path",
        "package_path's end, not 'foo'",
        PACKAGE_END,
    ),
    *folder_refusals("tests_path", "names of A-Za-z0-9_-", TESTS_FOLDERS),
    Refusal(
        "tests_path-double-slash-and-trailing-slash",
        {"tests_path": "checks//x/"},
        "tests_path",
        "no '//' or end '/', not 'checks//x/'",
        "tests_path is folder names joined by single slashes, such as tests",
    ),
    Refusal(
        "tests_path-leading-dash",
        {"tests_path": "-x"},
        "tests_path",
        "names of A-Za-z0-9_-, not '-x'",
        TESTS_FOLDERS,
    ),
    *(
        Refusal(
            f"cookie_name-{label}",
            {"cookie_name": name},
            "cookie_name",
            f"an RFC 6265 token, not {shown}",
            TOKEN,
        )
        for label, name, shown in [
            ("empty", "", "''"),
            ("space", "my session", "'my session'"),
            ("semicolon", "sid;Path", "'sid;Path'"),
            ("comma", "a,b", "'a,b'"),
            ("double-quote", 'say"cheese', "'say\"cheese'"),
            ("equals", "sid=1", "'sid=1'"),
            ("slash", "a/b", "'a/b'"),
            ("non-ascii", "séance", "'séance'"),
            ("final-newline", "sid\n", '"sid\\n"'),
            ("inner-control", "s\x01id", '"s\\u0001id"'),
            ("long", "my cookie name that goes on", "'my cookie…'"),
        ]
    ),
    *(
        Refusal(
            f"cookie_name-{label}-without-secure",
            {"secure": "false", "cookie_name": name},
            "cookie_name",
            f"'{name}' needs secure=true",
            PREFIX_NEEDS_SECURE,
        )
        for label, name in [
            ("host", "__Host-sid"),
            ("host-lower", "__host-sid"),
            ("host-upper", "__HOST-sid"),
            ("secure", "__Secure-sid"),
            ("secure-lower", "__secure-sid"),
            ("secure-mixed", "__SeCuRe-sid"),
        ]
    ),
    *(
        Refusal(
            f"cookie_name-{label}-with-domain",
            {"cookie_domain": "example.com", "cookie_name": name},
            "cookie_name",
            f"{shown} needs no cookie_domain",
            HOST_PREFIX_DOMAIN,
        )
        for label, name, shown in [
            ("host", "__Host-sid", "'__Host-sid'"),
            ("host-lower", "__host-sid", "'__host-sid'"),
            ("host-default-name", "__Host-app_session", "'__Host-ap…'"),
        ]
    ),
    *(
        Refusal(
            f"cookie_name-{framework}-{name}",
            {"framework": framework, "cookie_name": name},
            "cookie_name",
            f"'{name}' is {label}'s own cookie",
            OWN_COOKIE,
        )
        for framework, label, name in [
            ("django", "Django", "sessionid"),
            ("django", "Django", "csrftoken"),
            ("flask", "Flask", "session"),
            ("quart", "Quart", "session"),
            ("starlette", "Starlette", "session"),
            ("fastapi", "FastAPI", "session"),
            ("litestar", "Litestar", "session"),
            ("pyramid", "Pyramid", "session"),
        ]
    ),
    Refusal(
        "same_site-none-without-secure",
        {"secure": "false", "same_site": "None"},
        "same_site",
        "SameSite=None needs secure=true",
        choice=True,
    ),
    *(
        Refusal(
            f"cookie_domain-{label}",
            {"cookie_domain": domain},
            "cookie_domain",
            f"a host name, not {shown}",
            HOST_NAME,
        )
        for label, domain, shown in [
            ("url", "https://example.com/", "'https://examp…'"),
            ("port", "example.com:8000", "'example.com:8…'"),
            ("trailing-dot", "example.com.", "'example.com.'"),
            ("underscore", "my_shop.com", "'my_shop.com'"),
            ("final-newline", "example.com\n", '"example.com\\n"'),
        ]
    ),
    *(
        Refusal(
            f"cookie_domain-{label}",
            {"cookie_domain": domain},
            "cookie_domain",
            f"a dotted name, not '{domain}'",
            SINGLE_LABEL,
        )
        for label, domain in [("tld", "com"), ("dotted-tld", ".com"), ("localhost", "localhost")]
    ),
    *(
        Refusal(
            f"cookie_domain-{label}",
            {"cookie_domain": domain},
            "cookie_domain",
            f"a name, not an IP: '{domain}'",
            IP_ADDRESS,
        )
        for label, domain in [("ipv4", "127.0.0.1"), ("dotted-ipv4", ".10.0.0.1")]
    ),
    Refusal(
        "cookie_domain-254-characters",
        {"cookie_domain": "x" + LONG_DOMAIN},
        "cookie_domain",
        "at most 253 chars, not 'xaaaaaa…'",
        "a host name is at most 253 characters, not 254",
    ),
    *(
        Refusal(
            f"max_age-{label}",
            {"max_age": value},
            "max_age",
            f"like 3600, 12h or 14d, not {shown}",
            DURATION,
        )
        for label, value, shown in [
            ("negative", "-60", "'-60'"),
            ("words", "two weeks", "'two weeks'"),
            ("fraction", "1.5", "'1.5'"),
            ("upper-unit", "14D", "'14D'"),
            ("week", "2w", "'2w'"),
            ("bool", "true", "'true'"),
            ("space", "14 d", "'14 d'"),
            ("final-newline", "60\n", '"60\\n"'),
        ]
    ),
    *(
        Refusal(
            f"max_age-{label}",
            {"max_age": value},
            "max_age",
            f"1 second to 400 days, not '{value}'",
            AT_MOST_400_DAYS,
        )
        for label, value in [
            ("zero", "0"),
            ("zero-days", "0d"),
            ("over-400-days", "34560001"),
            ("401-days", "401d"),
        ]
    ),
    *(
        Refusal(
            f"absolute_max_age-{label}",
            {**context, "absolute_max_age": value},
            "absolute_max_age",
            f"≥ {floor} or 0, not {value}",
            ABSOLUTE_LIMIT,
        )
        for label, context, value, floor in [
            ("below-max-age", {"max_age": "14d"}, "1209599", 1209600),
            ("below-a-long-max-age", {"max_age": "400d"}, "2592000", 34560000),
        ]
    ),
    *(
        Refusal(
            f"session_fields-{label}",
            {"session_fields": value},
            "session_fields",
            f"{{name: type, …}}, not {shown}",
            MAPPING,
        )
        for label, value, shown in [
            ("list", "[cart_id, user_id]", "['cart_id…]"),
            ("text", "cart_id", "'cart_id'"),
            ("empty", "{}", "{}"),
        ]
    ),
    *(
        Refusal(
            f"session_fields-key-{label}",
            {"session_fields": value},
            "session_fields",
            f"keys: identifiers, not {shown}",
            FIELD_NAME,
        )
        for label, value, shown in [
            ("dash", "{cart-id: str}", "'cart-id'"),
            ("number", "{1: str}", "1"),
            ("newline", '{"a\\nb": str}', '"a\\nb"'),
        ]
    ),
    *(
        Refusal(
            f"session_fields-key-{name}",
            {"session_fields": f"{{{name}: str}}"},
            "session_fields",
            f"no keyword as key: '{name}'",
            RESERVED_FIELD,
        )
        for name in ["class", "None", "__debug__"]
    ),
    *(
        Refusal(
            f"session_fields-type-{label}",
            {"session_fields": f"{{cart_id: str, extra: {kind}}}"},
            "session_fields",
            f"a listed type, not {shown}",
            TYPES,
        )
        for label, kind, shown in [
            ("dict", "dict", "'dict'"),
            ("bytes", "bytes", "'bytes'"),
            ("list-of-dict", "'list[dict]'", "'list[dict]'"),
            ("optional-bytes", "'bytes | None'", "'bytes | No…'"),
            ("yaml-list", "[str]", "['str']"),
            ("number", "3", "3"),
            ("final-newline", '"str\\n"', '"str\\n"'),
        ]
    ),
]
