"""Access tokens at rest: Fernet encryption with rotatable keys (MultiFernet).

The first key of TOKEN_ENCRYPTION_KEYS encrypts; every key decrypts, so a new key can be put in
front, tokens re-encrypted with `flask accounts rotate-keys`, and the old key then removed.
"""
from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class TokenDecryptError(Exception):
    """A stored token could not be decrypted with any configured key."""

    def __init__(self) -> None:
        super().__init__("stored token cannot be decrypted with TOKEN_ENCRYPTION_KEYS")


class TokenCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise TokenDecryptError() from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the first key (MultiFernet.rotate keeps the original timestamp)."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise TokenDecryptError() from None


def token_cipher() -> TokenCipher:
    cipher = current_app.extensions.get("token_cipher")
    if cipher is None:
        cipher = TokenCipher(current_app.config["TOKEN_ENCRYPTION_KEYS"])
        current_app.extensions["token_cipher"] = cipher
    return cipher
