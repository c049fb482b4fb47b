"""SM4 (GB/T 32907) for the simulated PSAM and 3rd-generation card, through `cryptography`.

Keys here are made up: nothing in this module is a real card key.
"""

from __future__ import annotations


def sm4_encrypt_block(key: bytes, block: bytes) -> bytes:
    """SM4-ECB of whole 16-byte blocks (the PSAM's `80 FA` and the card's check of it)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    if len(key) != 16 or not block or len(block) % 16:
        raise ValueError("SM4 takes a 16-byte key and whole 16-byte blocks")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    return encryptor.update(block) + encryptor.finalize()


def diversify(master_key: bytes, diversification: bytes) -> bytes:
    """The card's own key: SM4(master, data || NOT data) for 8 bytes of diversification data."""
    if len(diversification) != 8:
        raise ValueError("diversification data is 8 bytes")
    inverted = bytes(b ^ 0xFF for b in diversification)
    return sm4_encrypt_block(master_key, diversification + inverted)


def pad_block(data: bytes) -> bytes:
    """ISO/IEC 9797-1 method 2 padding to a whole SM4 block."""
    return data + b"\x80" + bytes(15 - len(data) % 16)
