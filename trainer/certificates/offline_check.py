"""Check a certificate's QR code offline: python check_certificate.py public-key.pem "QR CODE TEXT"

Needs only the `cryptography` package and the programme's public key (from /verify/public-key.pem, fetched once
while online). Prints the signed details and exits 0 when the signature holds; exits 1 when it does not.
Compare the printed details with the paper: a genuine QR code on a changed certificate shows the original ones.
"""
import base64
import sys
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import load_pem_public_key

FIELDS = ("format", "serial", "full name", "name in Arabic", "module", "module version", "completed on",
          "issued on", "valid until")


def check(public_key_pem, qr_text):
    """The signed fields of the QR code, or None when its signature does not hold."""
    url = urlsplit(qr_text.strip())
    token = parse_qs(url.query)["c"][0]
    raw = base64.b32decode(token + "=" * (-len(token) % 8))
    signature, record = raw[:64], raw[64:]  # an Ed25519 signature, then the record it signs
    try:
        load_pem_public_key(public_key_pem).verify(signature, record)
    except InvalidSignature:
        return None
    fields = dict(zip(FIELDS, record.decode("utf-8").split("\n")))
    if fields["format"] != "TC1" or url.path.rsplit("/", 1)[-1].replace("-", "").upper() != fields["serial"]:
        return None  # another format, or a genuine record pasted behind another certificate's address
    return fields


if __name__ == "__main__":
    with open(sys.argv[1], "rb") as handle:
        details = check(handle.read(), sys.argv[2])
    if details is None:
        print("NOT GENUINE: the signature does not match")
        sys.exit(1)
    for name, value in details.items():
        print(f"{name:>15}: {value}")
    print("GENUINE: signed by the programme's key. Dates are YYYYMMDD.")
