"""Certificate serials: unguessable, short enough to read aloud or type, with a check character.

A serial is 15 random Crockford base32 symbols (75 bits) and one check symbol, printed in four groups of four:
`7K3M-Q9XD-2HTF-8WRC`. The check symbol is Luhn mod 32 over the same alphabet, so it catches every single
mistyped symbol and most swaps of neighbours; it is used instead of Crockford's own mod-37 check symbols
(`*~$=U`), which are awkward to say aloud and to put in a URL.
"""
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
DATA_SYMBOLS = 15
LENGTH = DATA_SYMBOLS + 1
GROUP = 4

_VALUE = {symbol: i for i, symbol in enumerate(ALPHABET)}
# Crockford's decoding rules: lower case is upper case, O is zero, I and L are one.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_.]+")


def new_serial():
    """A fresh random serial in its printed form, e.g. `7K3M-Q9XD-2HTF-8WRC`."""
    data = "".join(secrets.choice(ALPHABET) for _ in range(DATA_SYMBOLS))
    return _group(data + check_symbol(data))


def check_symbol(data):
    """The Luhn mod 32 check symbol for `data` (Crockford symbols, without separators)."""
    total, factor = 0, 2
    for symbol in reversed(data):
        addend = factor * _VALUE[symbol]
        total += addend // 32 + addend % 32
        factor = 3 - factor
    return ALPHABET[-total % 32]


def normalise_serial(text):
    """The printed form of what a person typed, or None when it cannot be a serial (the check is not tested)."""
    if not isinstance(text, str):
        return None
    compact = _SEPARATORS.sub("", text).upper().translate(_READ_AS)
    if len(compact) != LENGTH or any(symbol not in _VALUE for symbol in compact):
        return None
    return _group(compact)


def is_valid_serial(text):
    """True when `text` reads as a serial and its check symbol matches."""
    serial = normalise_serial(text)
    if serial is None:
        return False
    compact = serial.replace("-", "")
    return check_symbol(compact[:-1]) == compact[-1]


def compact_serial(serial):
    """The serial without its hyphens (for the signed record)."""
    return serial.replace("-", "")


def _group(compact):
    return "-".join(compact[i:i + GROUP] for i in range(0, len(compact), GROUP))
