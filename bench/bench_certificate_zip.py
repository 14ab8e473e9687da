"""Benchmark: the authority's ZIP of 10,000 stored certificates — throughput and peak memory of the serving process.

Set-up: a throwaway SQLite database in a temporary folder with 10,000 certificates of one country, each with a
real signed PDF (a handful rendered and signed, their bytes reused under fresh serials to keep set-up fast).
Then a fresh process that only serves builds the app, signs the authority in and reads
/authority/certificates.zip through the app's WSGI response iterator to the end, timing it; its peak resident
memory (VmHWM) is read afterwards. The archive's end record is checked to hold every entry.

Run from the repository root: `.venv/bin/python bench/bench_certificate_zip.py [--count 10000]`.
Progress goes to stderr; the last stdout line is a JSON list of result rows for `make bench`.
"""
import argparse
import datetime
import hashlib
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

AIM_MB_S = 50.0
AIM_RSS_MB = 200.0
TEMPLATES = 5  # distinct PDFs rendered and signed; the others reuse their bytes
BATCH = 500
NAME = "authority ZIP of {count:,} certificates"


def log(message):
    print(f"certificate zip: {message}", file=sys.stderr, flush=True)


def settings(folder):
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}", "INSTANCE_DIR": str(folder / "instance")}


def build(folder, count):
    """Create the database with `count` certificates of learners in Jordan and one Jordanian authority."""
    from flask_migrate import upgrade
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from trainer import create_app
    from trainer.accounts.models import User
    from trainer.certificates import services, signing
    from trainer.certificates.models import Certificate, CertificateFile
    from trainer.certificates.record import CertificateRecord
    from trainer.certificates.render import render_pdf
    from trainer.certificates.serial import new_serial
    from trainer.extensions import db
    from trainer.timeutil import utcnow

    app = create_app("testing", settings(folder))
    with app.app_context():
        upgrade()
        modules = list(app.extensions["trainer.content"].modules.values())
        now = utcnow()
        db.session.execute(insert(User), [{
            "username": "ministry", "full_name": "Rania Khalil", "country": "JO", "role": "authority",
            "language": "en", "active": True, "created_at": now,
            "password_hash": generate_password_hash("bench-password", method="pbkdf2:sha256:1000")}])
        learners = (count + len(modules) - 1) // len(modules)
        db.session.execute(insert(User), [{
            "username": f"guard{i:05d}", "full_name": f"Guard Number {i}", "full_name_ar": "حارس حدود",
            "country": "JO", "role": "learner", "language": "ar", "active": True, "created_at": now}
            for i in range(learners)])
        db.session.commit()
        user_ids = [row[0] for row in db.session.execute(
            db.select(User.id).where(User.role == "learner").order_by(User.id))]
        keys = services.deployment_keys()
        template = services.template_for(modules[0])
        started = time.perf_counter()
        pdfs = []
        for i in range(TEMPLATES):
            module = modules[i % len(modules)]
            day = datetime.date(2026, 3, 1 + i)
            record = CertificateRecord(
                serial=new_serial(), full_name=f"Guard Number {i}", full_name_ar="حارس حدود", module_id=module.id,
                module_version=module.version, module_title=module.title.as_dict(), second_language="en",
                completed_on=day, issued_on=day, expires_on=services.add_months(day, 36), score=90.0)
            url = signing.qr_url(record, app.config["BASE_URL"], keys)
            pdfs.append(signing.sign_pdf(render_pdf(record, template, url), keys))
        log(f"{TEMPLATES} certificates rendered and signed in {time.perf_counter() - started:.1f} s "
            f"({sum(map(len, pdfs)) / len(pdfs) / 1024:.0f} KB each)")
        hashes = [hashlib.sha256(pdf).hexdigest() for pdf in pdfs]
        serials = set()
        started = time.perf_counter()
        for start in range(0, count, BATCH):
            rows, files = [], []
            for n in range(start, min(start + BATCH, count)):
                serial = new_serial()
                while serial in serials:
                    serial = new_serial()
                serials.add(serial)
                module = modules[n % len(modules)]
                day = datetime.date(2026, 1, 1) + datetime.timedelta(days=n % 300)
                rows.append({
                    "id": n + 1, "serial": serial, "user_id": user_ids[n // len(modules)], "module_id": module.id,
                    "module_version": module.version, "module_title": module.title.as_dict(),
                    "content_hash": module.content_hash, "full_name": f"Guard Number {n // len(modules)}",
                    "full_name_ar": "حارس حدود", "country": "JO", "second_language": "en", "score": 90.0,
                    "completed_on": day, "issued_at": now, "issued_on": day,
                    "expires_on": services.add_months(day, 36), "status": "valid",
                    "pdf_sha256": hashes[n % TEMPLATES], "pdf_size": len(pdfs[n % TEMPLATES])})
                files.append({"certificate_id": n + 1, "pdf": pdfs[n % TEMPLATES]})
            db.session.execute(insert(Certificate), rows)
            db.session.execute(insert(CertificateFile), files)
            db.session.commit()
        log(f"{count:,} certificates stored in {time.perf_counter() - started:.1f} s "
            f"(database {os.path.getsize(folder / 'bench.db') / 2**20:.0f} MB)")


def serve(folder):
    """In a fresh process: read the whole ZIP from the app as a client would; print what was measured."""
    from trainer import create_app
    from trainer.accounts.models import User
    from trainer.extensions import db

    app = create_app("testing", settings(folder))
    client = app.test_client()
    with app.app_context():
        user_id = db.session.scalar(db.select(User.id).where(User.username == "ministry"))
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    rss_before = _peak_rss_mb()
    started = time.perf_counter()
    response = client.get("/authority/certificates.zip", buffered=False)
    assert response.status_code == 200, response.status_code
    total, tail = 0, b""
    for chunk in response.response:
        total += len(chunk)
        tail = (tail + chunk[-256:])[-256:]
    response.close()
    seconds = time.perf_counter() - started
    print(json.dumps({"bytes": total, "seconds": seconds, "entries": _entries(tail),
                      "peak_rss_mb": _peak_rss_mb(), "rss_before_mb": rss_before}))


def _entries(tail):
    """The number of entries the archive's end record declares (ZIP64 when present)."""
    at = tail.rfind(b"PK\x06\x06")
    if at >= 0:
        return struct.unpack("<Q", tail[at + 32:at + 40])[0]
    at = tail.rfind(b"PK\x05\x06")
    return struct.unpack("<H", tail[at + 10:at + 12])[0]


def _peak_rss_mb():
    """The process's peak resident set (VmHWM), in MB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # internal: the serving process
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve))
        return
    with tempfile.TemporaryDirectory(prefix="bench-zip-") as tmp:
        folder = Path(tmp)
        build(folder, args.count)
        log("streaming /authority/certificates.zip in a fresh process")
        result = subprocess.run([sys.executable, __file__, "--serve", str(folder)], cwd=REPO,
                                stdout=subprocess.PIPE, text=True, check=True)
        measured = json.loads(result.stdout.strip().splitlines()[-1])
    if measured["entries"] != args.count + 1:
        raise SystemExit(f"the ZIP holds {measured['entries']} entries, expected {args.count + 1}")
    megabytes = measured["bytes"] / 1e6
    throughput = megabytes / measured["seconds"]
    log(f"{megabytes:.0f} MB in {measured['seconds']:.1f} s = {throughput:.0f} MB/s; "
        f"peak RSS {measured['peak_rss_mb']:.0f} MB (after start-up {measured['rss_before_mb']:.0f} MB)")
    name = NAME.format(count=args.count)
    print(json.dumps([
        {"benchmark": name, "metric": "throughput", "value": round(throughput, 1), "unit": "MB/s",
         "aim": f">= {AIM_MB_S:g}", "met": throughput >= AIM_MB_S},
        {"benchmark": name, "metric": "peak RSS", "value": round(measured["peak_rss_mb"]), "unit": "MB",
         "aim": f"< {AIM_RSS_MB:g}", "met": measured["peak_rss_mb"] < AIM_RSS_MB},
    ]))


if __name__ == "__main__":
    main()
