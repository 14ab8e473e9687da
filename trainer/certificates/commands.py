"""`flask --app run certificates ...`: make the signing keys, issue, revoke and verify certificates."""
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

certificates_cli = AppGroup("certificates", help="Issue, revoke and verify certificates; make the signing keys.")


def _fail(message):
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@certificates_cli.command("init-keys")
@click.option("--organisation", help="Name in the PDF signing certificate (default: ISSUING_ORGANISATION).")
def init_keys_command(organisation):
    """Create this deployment's signing keys in CERTIFICATE_KEYS_DIR (existing keys are never replaced)."""
    from . import signing

    folder = Path(current_app.config["CERTIFICATE_KEYS_DIR"])
    organisation = organisation or current_app.config.get("ISSUING_ORGANISATION") or signing.DEFAULT_ORGANISATION
    try:
        created = signing.init_keys(folder, organisation)
        keys = signing.load_keys(folder)
    except (signing.KeysError, OSError) as exc:
        _fail(str(exc))
    if created:
        click.echo(f"created in {folder}: {', '.join(created)}")
    else:
        click.echo(f"keys already present in {folder}; nothing changed")
    click.echo(f"PDF signing certificate SHA-256: {keys.fingerprint}")
    click.echo(f"public key for offline QR checks: {folder / signing.QR_PUBLIC} (served at /verify/public-key.pem)")
    click.echo("Back up this folder: certificates cannot be verified without it.")


@certificates_cli.command("issue")
@click.argument("username")
@click.argument("module_id")
def issue_command(username, module_id):
    """Issue the certificate of USERNAME for MODULE_ID (re-issue it if names, version or language changed)."""
    from ..accounts.services import find_user
    from ..app import course
    from ..learning.services import module_status, still_needed
    from . import services

    user = find_user(username)
    if user is None:
        _fail(f"no user {username!r}")
    module = course().module(module_id)
    if module is None:
        _fail(f"no module {module_id!r} in the course")
    previous = services.latest_certificate(user.id, module.id)
    try:
        certificate, done = services.issue_current(user, module, via="command line")
    except services.NotComplete:
        needs = ", ".join(f"{what}={value}" for what, value in still_needed(module_status(user, module)))
        _fail(f"{user.username} has not completed {module.id} (still needed: {needs})")
    except services.CertificateError as exc:
        _fail(str(exc))
    if done == "unchanged":
        click.echo(f"{certificate.serial}: already valid and up to date ({user.username}, {module.id})")
    elif done == "reissued":
        click.echo(f"re-issued {certificate.serial} for {user.username}, {module.id} (the previous one is superseded)")
    else:
        click.echo(f"issued {certificate.serial} for {user.username}, {module.id}")
        if previous is not None and previous.status == "revoked":
            click.echo(f"(the previous certificate {previous.serial} stays revoked)")


@certificates_cli.command("revoke")
@click.argument("serial")
@click.option("--reason", required=True, help="Shown on the verification page.")
def revoke_command(serial, reason):
    """Revoke the certificate SERIAL; its verification page says so at once."""
    from . import services

    certificate = services.by_serial(serial)
    if certificate is None:
        _fail(f"no certificate {serial!r}")
    try:
        services.revoke(certificate, None, reason, via="command line")
    except services.CertificateError as exc:
        _fail(str(exc))
    click.echo(f"revoked {certificate.serial}: {certificate.revoke_reason}")


@certificates_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def verify_command(file):
    """Check a certificate PDF: exit 0 and "genuine" when untouched, exit 1 and "tampered" otherwise."""
    from . import services, signing

    data = Path(file).read_bytes()
    verdict = signing.verify_pdf(data, services.deployment_keys())
    if not verdict.genuine:
        click.echo(f"tampered: {verdict.reason}" + (f" (claims serial {verdict.serial})" if verdict.serial else ""))
        sys.exit(1)
    click.echo(f"genuine: {verdict.reason}; serial {verdict.serial}")
    certificate = services.by_serial(verdict.serial) if verdict.serial else None
    if certificate is None:
        click.echo("register: this serial is not in this deployment's register")
        return
    status = services.status_of(certificate)
    line = f"register: {status}"
    if status == "revoked":
        line += f" on {certificate.revoked_at.date().isoformat()}: {certificate.revoke_reason}"
    elif status == "superseded":
        successor = services.successor_of(certificate)
        line += f" by {successor.serial}" if successor else ""
    elif status == "expired":
        line += f" since {certificate.expires_on.isoformat()}"
    click.echo(line)
