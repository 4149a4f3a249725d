"""lz-string `decompressFromBase64` (posthog-js's legacy `compression=lz64`), with an output cap.

The `lzstring` package has no size limit (its dictionary can grow quadratically from a small
input) and rebuilds its base64 table for every character, so capture uses this version instead.
"""

from __future__ import annotations

_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
# "=" is value 64 in lz-string's alphabet, which contributes six zero bits.
_SIX_BITS = {char: format(index & 63, "06b") for index, char in enumerate(_BASE64)}


class LZStringError(ValueError):
    """The input is not lz-string base64."""


class LZStringTooLarge(ValueError):
    """The decompressed text would exceed the caller's limit."""


class _BitReader:
    """lz-string's bit stream: 6 bits per base64 character, most significant first; each value
    is assembled least significant bit first.

    The stream is expanded once to a '0'/'1' string so a read is one slice, reversal and int()
    in C instead of a Python loop per bit (about 6x faster on a large body).
    """

    def __init__(self, text: str):
        try:
            self.bits = "".join([_SIX_BITS[char] for char in text])
        except KeyError as exc:
            raise LZStringError("invalid lz64 character") from exc
        self.position = 0

    @property
    def exhausted(self) -> bool:
        return self.position >= len(self.bits)

    def read(self, count: int) -> int:
        # Past the end reads zeros, as in JavaScript; `exhausted` then stops the decoder.
        chunk = self.bits[self.position : self.position + count]
        self.position += count
        return int(chunk[::-1], 2) if chunk else 0


def decompress_from_base64(text: str, *, max_chars: int) -> str:
    """Decode lz-string base64; raises LZStringError on bad input, LZStringTooLarge past max_chars."""
    if not text:
        raise LZStringError("empty lz64 data")
    reader = _BitReader(text.replace(" ", "+").strip())
    dictionary: list[str] = ["", "", ""]
    enlarge_in, num_bits = 4, 3

    def literal(kind: int) -> str:
        return chr(reader.read(8 if kind == 0 else 16))

    kind = reader.read(2)
    if kind == 2:
        return ""
    if kind not in (0, 1):
        raise LZStringError("invalid lz64 header")
    previous = literal(kind)
    dictionary.append(previous)
    parts, total = [previous], len(previous)
    while True:
        if reader.exhausted:
            raise LZStringError("truncated lz64 data")
        code = reader.read(num_bits)
        if code == 2:
            break
        if code in (0, 1):
            dictionary.append(literal(code))
            code = len(dictionary) - 1
            enlarge_in -= 1
            if enlarge_in == 0:
                enlarge_in, num_bits = 1 << num_bits, num_bits + 1
        if code < len(dictionary):
            entry = dictionary[code]
        elif code == len(dictionary):
            entry = previous + previous[0]
        else:
            raise LZStringError("invalid lz64 code")
        total += len(entry)
        if total > max_chars:
            raise LZStringTooLarge("lz64 data decompresses past the limit")
        parts.append(entry)
        dictionary.append(previous + entry[0])
        enlarge_in -= 1
        previous = entry
        if enlarge_in == 0:
            enlarge_in, num_bits = 1 << num_bits, num_bits + 1
    try:
        # 16-bit literals are UTF-16 code units: pairs of them form one astral character.
        return "".join(parts).encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeError as exc:
        raise LZStringError("lz64 data is not valid UTF-16") from exc
