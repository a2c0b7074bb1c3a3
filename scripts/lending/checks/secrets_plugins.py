"""The project's own detect-secrets plugins, loaded by path from `.secrets.baseline`."""

from __future__ import annotations

import re

from detect_secrets.plugins.base import RegexBasedDetector


class UriPasswordDetector(RegexBasedDetector):
    """`user:password@host` in a URI, whatever the password's characters.

    detect-secrets' BasicAuthDetector leaves out passwords with one of RFC 3986's
    sub-delimiters (`!$&'()*+,;=`), which userinfo allows and real passwords are full of: a
    connection URI with the password `Sup3r!pass` passes it. Templated values
    (`{{ env_var(...) }}`, `${VAR}`) have spaces or a `$` and stay out (filters).
    """

    secret_type = "URI with a password"  # pragma: allowlist secret
    denylist = (re.compile(r"[a-z][a-z0-9+.-]*://[^:/?#\[\]@\s]+:([^/?#\[\]@\s]+)@[^\s/?#@]"),)
