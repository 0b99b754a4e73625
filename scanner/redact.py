"""What sovscan never stores or exports verbatim: values of tags whose key names a secret.

Tags and labels are free text, and some organisations put secrets in them (``Password=…``,
``db-token=…``, ``api_key=…``). Classification needs tag keys and the values of classification
tags, never those. Anything sovscan writes to last (the history database; saved inventories may
use the same list) replaces the value of a tag whose key matches :data:`SECRET_KEY` by
:data:`REDACTED`, keeping the key so that a reader still sees the tag was there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: Words in a tag key that announce a secret value (matched anywhere in the key, any case):
#: passwords and passphrases, secrets, tokens, keys (API, access, private, SSH…), credentials,
#: authentication material, sessions and cookies, signatures, certificates, connection strings,
#: salts. Broad on purpose: a redacted harmless value costs nothing.
SECRET_KEY = re.compile(
    r"pass(?:word|wd|phrase)?|pwd|secret|token|key|credential|auth|session|cookie|signature|"
    r"cert(?:ificate)?|connection[-_ ]?string|conn[-_ ]?str|dsn|salt|private",
    re.IGNORECASE)

REDACTED = "[redacted]"


def secret_key(key: str) -> bool:
    """Whether a tag key announces a secret value."""
    return SECRET_KEY.search(key) is not None


def redact_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """The tags with the value of every secret-named key replaced by :data:`REDACTED`."""
    return {k: (REDACTED if secret_key(str(k)) else v) for k, v in tags.items()}
