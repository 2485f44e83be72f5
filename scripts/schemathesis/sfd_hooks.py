"""Schemathesis hooks for sfd's fuzz run.

HTTP forbids control bytes (NUL, ESC, ...) in header field values (RFC 9110,
section 5.5). A request carrying them is not HTTP, and hyper refuses it at the
protocol level, before any route runs, with a bare 400. Such headers are
dropped before sending, so every case that reaches sfd is a real HTTP request;
all bodies, paths and queries are still sent exactly as generated.
"""

import schemathesis


def _is_http_field_value(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return all(c == "\t" or (0x20 <= ord(c) and ord(c) != 0x7F) for c in value)


@schemathesis.hook
def before_call(ctx, case, kwargs):
    if case.headers:
        for name in [k for k, v in case.headers.items() if not _is_http_field_value(v)]:
            del case.headers[name]
