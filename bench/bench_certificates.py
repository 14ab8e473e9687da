"""Benchmark: median milliseconds per signed certificate (render + QR signature + PAdES signature), one core.

Run from the repository root: `.venv/bin/python bench/bench_certificates.py [--count 50] [--warmup 3]`.
Progress goes to stderr; the last stdout line is a JSON list of result rows for `make bench`.
"""
import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from trainer.certificates import signing  # noqa: E402
from trainer.certificates.record import CertificateRecord  # noqa: E402
from trainer.certificates.render import render_pdf  # noqa: E402
from trainer.certificates.serial import new_serial  # noqa: E402
from trainer.certificates.template import load_template  # noqa: E402

AIM_MS = 50.0
NAMES = [  # a mix like a real cohort: Arabic names, long names, no Arabic name, both second languages
    ("Mohammed Abdulrahman Al-Hashimi", "محمد عبد الرحمن الهاشمي", "en"),
    ("Fatima Zahra Benali", "فاطمة الزهراء بن علي", "fr"),
    ("Jean-Baptiste Ngoma", None, "fr"),
    ("Abdulrahman Mohammed Saleh Al-Hashimi Bin Khalid Al-Qurashi Ibn Abdullah Al-Mansouri Al-Tamimi",
     "عبد الرحمن محمد صالح الهاشمي بن خالد القرشي بن عبد الله المنصوري التميمي", "en"),
    ("Layla Haddad", "ليلى حداد", "en"),
]


def pin_to_one_core():
    """Run on a single CPU, as the aim is stated per core."""
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return cpu
    return None


def record_for(i):
    """The i-th certificate of the run."""
    full_name, full_name_ar, second = NAMES[i % len(NAMES)]
    day = datetime.date(2025, 3, 12)
    return CertificateRecord(
        serial=new_serial(), full_name=full_name, full_name_ar=full_name_ar, module_id="rights-at-borders",
        module_version=3, second_language=second, completed_on=day, issued_on=day,
        expires_on=day.replace(year=day.year + 3), score=80 + i % 20,
        module_title={"en": "Rights at borders: the essentials", "ar": "الحقوق على الحدود: الأساسيات",
                      "fr": "Les droits aux frontières : l’essentiel"},
    )


def issue_one(record, template, keys):
    """What the app does at issuance: QR URL, render, sign."""
    url = signing.qr_url(record, "https://trainer.example.org", keys)
    return signing.sign_pdf(render_pdf(record, template, url), keys)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    cpu = pin_to_one_core()
    print(f"certificates: pinned to CPU {cpu}" if cpu is not None else "certificates: not pinned", file=sys.stderr)
    template = load_template(REPO / "certificates" / "default.yaml")
    with tempfile.TemporaryDirectory() as keys_dir:
        keys = signing.load_keys(keys_dir)
        for i in range(args.warmup):
            issue_one(record_for(i), template, keys)
        timings, sizes = [], []
        for i in range(args.count):
            record = record_for(i)
            start = time.perf_counter()
            pdf = issue_one(record, template, keys)
            timings.append((time.perf_counter() - start) * 1000)
            sizes.append(len(pdf))
            if (i + 1) % 10 == 0:
                print(f"certificates: {i + 1}/{args.count}, median so far {statistics.median(timings):.1f} ms",
                      file=sys.stderr)
        assert signing.verify_pdf(pdf, keys).genuine  # the last one, to be sure what was timed is real
    median = statistics.median(timings)
    print(f"certificates: median {median:.1f} ms, min {min(timings):.1f}, max {max(timings):.1f}, "
          f"PDF {statistics.median(sizes) / 1024:.0f} KiB", file=sys.stderr)
    rows = [{"benchmark": "certificate render+sign", "metric": "median per certificate", "value": round(median, 1),
             "unit": "ms", "aim": f"<= {AIM_MS:g}", "met": median <= AIM_MS}]
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
