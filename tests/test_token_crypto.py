import pytest
from cryptography.fernet import Fernet

from app.token_crypto import TokenCipher, TokenDecryptError


def test_roundtrip_and_ciphertext_hides_token():
    cipher = TokenCipher([Fernet.generate_key().decode()])
    encrypted = cipher.encrypt("IGQWRtestTOKENvalue")
    assert "IGQWRtestTOKENvalue" not in encrypted
    assert cipher.decrypt(encrypted) == "IGQWRtestTOKENvalue"


def test_rotation_old_key_still_decrypts_then_not_needed():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    written_under_old = TokenCipher([old]).encrypt("IGQWRrotateME")
    both = TokenCipher([new, old])
    assert both.decrypt(written_under_old) == "IGQWRrotateME"
    rotated = both.rotate(written_under_old)
    assert TokenCipher([new]).decrypt(rotated) == "IGQWRrotateME"
    with pytest.raises(TokenDecryptError) as info:
        TokenCipher([Fernet.generate_key().decode()]).decrypt(rotated)
    assert "IGQWRrotateME" not in str(info.value)
