"""The key that signs session cookies and form tokens.

A cookie signed with a known key is a log-in as anyone: outside development the app refuses
to start with a missing, published or short key. In development (`make run`, `yijia up`) a
random key is made once and kept in the git-ignored instance folder, so log-ins survive a
restart without anyone choosing a key; tests get a random key per app.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

MIN_LENGTH = 32
# Keys that shipped in this repository or its docs: whoever has read them can sign cookies.
PUBLISHED = frozenset({"", "dev-only-change-me", "change-me", "changeme", "secret", "dev"})
HOW_TO = (
    "YIJIA_SECRET_KEY is missing, a published default or shorter than {n} characters, so anyone could "
    "sign a session cookie as any user. Set one (and keep it the same on every web server), e.g.\n"
    "  export YIJIA_SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')\"\n"
    "or run with YIJIA_ENV=development on a developer's machine (see docs/security.md)."
)


class InsecureSecretKey(RuntimeError):
    """The web app must not start: its cookies could be forged."""


def is_strong(key: str | None) -> bool:
    return bool(key) and key not in PUBLISHED and len(key) >= MIN_LENGTH  # type: ignore[arg-type]


def resolve(key: str | None, env: str, instance_dir: Path) -> str:
    """The key to use: the configured one if strong; else a generated one where that is safe."""
    if key and is_strong(key):
        return key
    if env == "test":
        return secrets.token_urlsafe(48)
    if env == "development":
        return instance_key(instance_dir)
    raise InsecureSecretKey(HOW_TO.format(n=MIN_LENGTH))


def instance_key(instance_dir: Path) -> str:
    """The development key in `instance_dir/secret_key`, made once (0600). Several workers
    starting together agree: the file appears whole (written aside, then linked) or not at all."""
    path = instance_dir / "secret_key"
    try:
        existing = path.read_text().strip()
    except FileNotFoundError:
        existing = ""
    if is_strong(existing):
        return existing
    instance_dir.mkdir(parents=True, exist_ok=True)
    draft = instance_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(48) + "\n")
    try:
        if path.exists():  # a weak leftover: replace it
            os.replace(draft, path)
        else:
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another worker won; read its key
    finally:
        draft.unlink(missing_ok=True)
    return path.read_text().strip()
