"""Secrets the app must read back (an organisation's single sign-on client secret), stored
encrypted with a key derived from SSO_SECRET_KEY (or SECRET_KEY): a copy of the database
alone does not give them away."""

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

logger = logging.getLogger(__name__)


def _fernet() -> Fernet:
    key = settings.SSO_SECRET_KEY or settings.SECRET_KEY
    digest = hashlib.sha256(f"koning-klant.sso:{key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        # The key changed since the secret was stored: management enters it again.
        logger.warning("a stored secret cannot be decrypted with this key")
        return ""
