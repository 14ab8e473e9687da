"""The two signatures on a certificate, and the deployment's keys they are made with.

(a) The PDF carries a PAdES signature (pyHanko; ECDSA P-256 with a self-signed X.509 certificate made for the
    deployment). It is a certification signature that allows no changes, so PDF readers flag any edit, and
    `verify_pdf` accepts a file only when that signature is intact, covers every byte of the file and was made
    with this deployment's certificate.
(b) The QR code holds `<base_url>/verify/<SERIAL>?c=<BASE32>`, where BASE32 is unpadded RFC 4648 base32 of the
    64-byte Ed25519 signature followed by the record's canonical bytes (see record.py). Upper-case base32 lets
    the QR use its compact alphanumeric mode, so the code stays small; anyone holding the public key can check
    a printed copy offline with `verify_qr`.

Keys live in one folder per deployment (the app passes instance/keys). Private keys are PEM files with mode
0600 and never leave it; nothing here overwrites an existing file.
"""
import base64
import binascii
import datetime
import hashlib
import io
import logging
import os
import re
import stat
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from asn1crypto import algos as asn1_algos
from asn1crypto import cms as asn1_cms
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp as asn1_tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import attributes, fields, signers
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.signers.pdf_cms import SignedAttributeProviderSpec
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .record import parse_canonical
from .serial import normalise_serial

log = logging.getLogger(__name__)

DEFAULT_ORGANISATION = "Border Rights Training Programme"
PDF_KEY = "pdf-signing-key.pem"  # ECDSA P-256 private key (0600)
PDF_CERT = "pdf-signing-cert.pem"  # its self-signed X.509 certificate (public)
QR_KEY = "qr-signing-key.pem"  # Ed25519 private key (0600)
QR_PUBLIC = "qr-signing-public.pem"  # Ed25519 public key (public: give it to anyone who checks QR codes offline)
CERT_YEARS = 30  # certificates are checked long after issuance; this certificate is its own trust anchor
SIGNATURE_FIELD = "CertificateSignature"
SIGNATURE_RESERVE = 4096  # bytes kept for the CMS signature: no trial signature is needed to size it
ED25519_SIGNATURE = 64
QR_PARAMETER = "c"
SERIAL_KEYWORD = re.compile(r"certificate-serial:([0-9A-Za-z-]+)")

_cache_lock = threading.Lock()
_cache = {}  # resolved keys dir -> (file stamp, Keys)


class KeysError(Exception):
    """The keys folder is in a state that must not be repaired automatically (e.g. a key is missing)."""


@dataclass(frozen=True)
class Keys:
    """A deployment's signing keys, loaded once and ready to sign."""

    keys_dir: str
    certificate: x509.Certificate
    fingerprint: str  # SHA-256 of the certificate (DER), hex
    qr_private_key: Ed25519PrivateKey = field(repr=False)
    qr_public_key: Ed25519PublicKey = field(repr=False)
    signer: "_DeploymentSigner" = field(repr=False)


@dataclass(frozen=True)
class Verification:
    """The verdict on a PDF file: genuine or not, why, and the serial it claims."""

    genuine: bool
    reason: str
    serial: str | None = None
    signed_at: datetime.datetime | None = None


# --- keys ---

def init_keys(keys_dir, organisation=DEFAULT_ORGANISATION):
    """Create whatever keys are missing in `keys_dir` (never overwriting one); return the file names created."""
    folder = Path(keys_dir)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(folder, 0o700)
    except PermissionError:  # a folder prepared by an administrator keeps the mode they gave it
        log.warning("certificate keys: cannot set mode 700 on %s", folder)
    organisation = (organisation or DEFAULT_ORGANISATION).strip()
    created = []
    _refuse_orphan(folder, PDF_KEY, PDF_CERT)
    _refuse_orphan(folder, QR_KEY, QR_PUBLIC)
    if _create(folder / PDF_KEY, lambda: _private_pem(ec.generate_private_key(ec.SECP256R1())), 0o600):
        created.append(PDF_KEY)
    pdf_key = _read_private_key(folder / PDF_KEY)
    if _create(folder / PDF_CERT, lambda: _certificate_pem(pdf_key, organisation), 0o644):
        created.append(PDF_CERT)
    if _create(folder / QR_KEY, lambda: _private_pem(Ed25519PrivateKey.generate()), 0o600):
        created.append(QR_KEY)
    qr_key = _read_private_key(folder / QR_KEY)
    if _create(folder / QR_PUBLIC, lambda: _public_pem(qr_key.public_key()), 0o644):
        created.append(QR_PUBLIC)
    for name in created:
        log.info("certificate keys: created %s", folder / name)
    return created


def load_keys(keys_dir, organisation=None):
    """The deployment's keys, created on first use; cached per folder until one of its files changes."""
    folder = Path(keys_dir).resolve()
    stamp = _stamp(folder)
    cached = _cache.get(str(folder))
    if cached and cached[0] == stamp:
        return cached[1]
    with _cache_lock:
        if stamp is None or any(part is None for part in stamp):
            init_keys(folder, organisation or DEFAULT_ORGANISATION)
            stamp = _stamp(folder)
        keys = _load(folder)
        _cache[str(folder)] = (stamp, keys)
        return keys


def public_key_pem(keys):
    """The Ed25519 public key that checks QR codes, as PEM text."""
    return _public_pem(keys.qr_public_key).decode("ascii")


def certificate_pem(keys):
    """The PDF signing certificate as PEM text (to import as trusted in a PDF reader)."""
    return keys.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _load(folder):
    for name in (PDF_KEY, QR_KEY):
        _tighten(folder / name)
    pdf_key = _read_private_key(folder / PDF_KEY)
    certificate = x509.load_pem_x509_certificate((folder / PDF_CERT).read_bytes())
    if certificate.public_key().public_numbers() != pdf_key.public_key().public_numbers():
        raise KeysError(f"{folder / PDF_CERT} does not belong to {folder / PDF_KEY}")
    qr_key = _read_private_key(folder / QR_KEY)
    qr_public = serialization.load_pem_public_key((folder / QR_PUBLIC).read_bytes())
    if qr_public.public_bytes_raw() != qr_key.public_key().public_bytes_raw():
        raise KeysError(f"{folder / QR_PUBLIC} does not belong to {folder / QR_KEY}")
    der = certificate.public_bytes(serialization.Encoding.DER)
    asn1_cert = asn1_x509.Certificate.load(der)
    signing_key = asn1_keys.PrivateKeyInfo.load(pdf_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    signer = _DeploymentSigner(signing_cert=asn1_cert, signing_key=signing_key,
                               cert_registry=SimpleCertificateStore.from_certs([asn1_cert]))
    return Keys(keys_dir=str(folder), certificate=certificate, fingerprint=hashlib.sha256(der).hexdigest(),
                qr_private_key=qr_key, qr_public_key=qr_key.public_key(), signer=signer)


class _DeploymentSigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner, with the parts that name the certificate built once instead of per signature.

    pyHanko builds the signer identifier and the signing-certificate-v2 attribute (required by PAdES) from
    nested dicts for every signature; asn1crypto then re-encodes the certificate's name over and over, which
    costs 6 to 25 ms depending on the name's length. Loaded from DER once, they cost nothing.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        cert = self.signing_cert
        self._signer_id = asn1_cms.SignerIdentifier({"issuer_and_serial_number": asn1_cms.IssuerAndSerialNumber(
            {"issuer": cert.issuer, "serial_number": cert.serial_number})}).dump()
        self.signed_attr_prov_spec = _PadesAttributes(as_signing_certificate_v2(cert).dump())

    def signer_info(self, digest_algorithm, signed_attrs, signature):
        """The SignerInfo, as pyHanko's, with the signer identifier prepared once."""
        return asn1_cms.SignerInfo({
            "version": "v1",
            "sid": asn1_cms.SignerIdentifier.load(self._signer_id),
            "digest_algorithm": asn1_algos.DigestAlgorithm({"algorithm": digest_algorithm}),
            "signature_algorithm": self.get_signature_mechanism_for_digest(digest_algorithm),
            "signed_attrs": signed_attrs,
            "signature": signature,
        })


class _PadesAttributes(SignedAttributeProviderSpec):
    """PAdES signed attributes: only signing-certificate-v2 (PAdES forbids signing-time; pyHanko adds the rest)."""

    def __init__(self, signing_certificate_der):
        self._der = signing_certificate_der

    def signed_attr_providers(self, data_digest, digest_algorithm):
        yield _SigningCertificate(self._der)


class _SigningCertificate(attributes.CMSAttributeProvider):
    """The signing-certificate-v2 attribute, from its DER encoding."""

    attribute_type = "signing_certificate_v2"

    def __init__(self, der):
        self._der = der

    async def build_attr_value(self, dry_run=False):
        return asn1_tsp.SigningCertificateV2.load(self._der)


def _stamp(folder):
    """What identifies the current key files: their sizes and modification times (None for a missing one)."""
    if not folder.is_dir():
        return None
    result = []
    for name in (PDF_KEY, PDF_CERT, QR_KEY, QR_PUBLIC):
        try:
            info = os.stat(folder / name)
        except FileNotFoundError:
            result.append(None)
        else:
            result.append((info.st_mtime_ns, info.st_size, info.st_ino))
    return tuple(result)


def _refuse_orphan(folder, key_name, public_name):
    """A public half without its private key means the key was lost: making a new one would hide that."""
    if (folder / public_name).exists() and not (folder / key_name).exists():
        raise KeysError(f"{folder / public_name} exists but its private key {key_name} is missing; restore the "
                        f"key from backup (or move both files away to start a new key, which invalidates every "
                        f"certificate already issued)")


def _create(path, make_bytes, mode):
    """Write a new file atomically with `mode`, unless it exists (also when another process wins the race)."""
    if path.exists():
        return False
    data = make_bytes()
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)  # the umask must not loosen or tighten what the file is meant to be
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, path)  # fails if the file appeared meanwhile: the first one stays
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(temporary)


def _tighten(path):
    """A private key readable by others is made 0600 again, with a warning."""
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        log.warning("certificate keys: %s had mode %o; set to 600", path, mode)
        os.chmod(path, 0o600)


def _read_private_key(path):
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def _private_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _public_pem(key):
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _certificate_pem(private_key, organisation):
    """A self-signed certificate for signing the deployment's certificates."""
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} – certificate signing"[:64]),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
    ])
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    public_key = private_key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365 * CERT_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(private_key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


# --- (a) the PDF signature ---

def sign_pdf(pdf_bytes, keys):
    """`pdf_bytes` with a PAdES certification signature by the deployment's key (no later change allowed)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        reason="Certificate of completion issued",
    )
    output = signers.sign_pdf(writer, meta, signer=keys.signer, bytes_reserved=SIGNATURE_RESERVE)
    return output.getvalue()


def verify_pdf(pdf_bytes, keys):
    """Genuine only if the signature is intact, covers the whole file and is this deployment's."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # noqa: BLE001 - any parse failure of an uploaded file is a verdict, not a crash
        return Verification(False, f"not a readable PDF file ({type(exc).__name__})")
    serial = _serial_in(reader)
    if not signatures:
        return Verification(False, "the file carries no digital signature", serial)
    if len(signatures) > 1:
        return Verification(False, "the file was signed again after it was issued", serial)
    signature = signatures[0]
    try:
        signer_der = signature.signer_cert.dump()
    except Exception:  # noqa: BLE001
        return Verification(False, "the signature cannot be read", serial)
    if hashlib.sha256(signer_der).hexdigest() != keys.fingerprint:
        return Verification(False, "signed with a certificate that is not this deployment's", serial)
    try:
        status = validate_pdf_signature(signature, signer_validation_context=_validation_context(keys),
                                        skip_diff=True)
    except Exception as exc:  # noqa: BLE001
        return Verification(False, f"the signature cannot be checked ({type(exc).__name__})", serial)
    if not (status.intact and status.valid):
        return Verification(False, "the content was altered after signing", serial)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return Verification(False, "content was added to the file after signing", serial)
    return Verification(True, "signature intact and made by this deployment", serial, status.signer_reported_dt)


def _validation_context(keys):
    """Trust exactly this deployment's certificate; fetch nothing from the network."""
    anchor = keys.signer.signing_cert
    return ValidationContext(trust_roots=[anchor], allow_fetching=False)


def _serial_in(reader):
    """The serial the file claims (from its document information), or None."""
    try:
        info = reader.trailer_view.get("/Info")
        keywords = str(info.get_object().get("/Keywords", "")) if info is not None else ""
    except Exception:  # noqa: BLE001
        return None
    match = SERIAL_KEYWORD.search(keywords)
    return normalise_serial(match.group(1)) if match else None


# --- (b) the QR signature ---

def qr_url(record, base_url, keys):
    """The verify URL for the QR code: `<base_url>/verify/<SERIAL>?c=<base32(signature + record)>`."""
    message = record.canonical_bytes()
    signature = keys.qr_private_key.sign(message)
    token = base64.b32encode(signature + message).decode("ascii").rstrip("=")
    return f"{base_url.rstrip('/')}/verify/{record.serial}?{QR_PARAMETER}={token}"


def verify_qr(url_or_query, public_key):
    """(True, signed fields) when the URL's signature checks out with `public_key`; otherwise (False, None).

    `url_or_query`: the whole URL, or its query string (with or without `?`). `public_key`: an Ed25519 public
    key, its PEM text or bytes, or a Keys object.
    """
    try:
        token, path_serial = _parse_qr(url_or_query)
        raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
        signature, message = raw[:ED25519_SIGNATURE], raw[ED25519_SIGNATURE:]
        _as_public_key(public_key).verify(signature, message)
        record = parse_canonical(message)
    except (ValueError, TypeError, binascii.Error, InvalidSignature):
        return False, None
    if path_serial is not None and normalise_serial(path_serial) != record["serial"]:
        return False, None
    return True, record


def _parse_qr(url_or_query):
    """(token, serial in the path or None) from a verify URL or its query string."""
    text = url_or_query.strip()
    if "://" in text:
        parts = urlsplit(text)
        query, path = parts.query, parts.path
    else:
        query, path = text.split("?", 1)[-1], ""
    values = parse_qs(query).get(QR_PARAMETER)
    if not values or not values[0]:
        raise ValueError("no signed record in the URL")
    serial = None
    if "/verify/" in path:
        serial = path.rsplit("/verify/", 1)[1].strip("/")
    return values[0], serial


def _as_public_key(value):
    if isinstance(value, Keys):
        return value.qr_public_key
    if isinstance(value, Ed25519PublicKey):
        return value
    if isinstance(value, str):
        value = value.encode("ascii")
    if isinstance(value, bytes):
        key = serialization.load_pem_public_key(value)
        if isinstance(key, Ed25519PublicKey):
            return key
    raise TypeError("not an Ed25519 public key")
