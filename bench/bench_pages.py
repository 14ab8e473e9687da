"""Throughput of a lesson page and of a quiz submission under gunicorn, each as a ratio to a trivial endpoint of
the same app on the same stack (same workers, same session cookie, same client), in one run.

Two trivial endpoints: /ping/signed-in (a signed-in page that does nothing: the session and the user, which every
learner page needs) is the baseline the aims are judged against; /ping (no session, no database) is shown too.

Set-up: a copy of the real course (retry wait set to 0 so learners can resubmit), a fresh database (SQLite in a
temporary folder, or BENCH_DATABASE_URL), N learners each with an open quiz attempt, and their signed session
cookies minted with the app's own serializer (no password hashing in the measured path). The client is a pool of
processes sending requests over new connections, as gunicorn's sync workers close each one.

Aims: lesson page >= 0.5 x the trivial endpoint, quiz submission >= 0.25 x.
"""
import http.client
import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))
LEARNERS = int(os.environ.get("BENCH_LEARNERS", "6000"))
MODULE = "child-sensitive-borders"
LESSON = "best-interests"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(tmp):
    """Content copy, environment, migrated database, learners with open attempts; returns env and requests."""
    content = tmp / "content"
    for folder in ("modules", "quizzes"):
        shutil.copytree(REPO / folder, content / folder)
    quiz = content / "quizzes" / f"{MODULE}.yaml"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("retry_after_minutes: 15", "retry_after_minutes: 0"),
                    encoding="utf-8")
    env = dict(os.environ, TRAINER_CONFIG="production", SECRET_KEY="bench-secret", TRAINER_INSTANCE=str(tmp / "instance"),
               CONTENT_ROOT=str(content), CERTIFICATE_KEYS_DIR=str(tmp / "keys"),
               DATABASE_URL=os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}")
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "-m", "flask", "--app", "run", "db", "upgrade"], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.environ.update(env)
    from flask import g, session
    from flask_login.utils import _create_identifier
    from flask_wtf.csrf import generate_csrf
    from werkzeug.security import generate_password_hash

    from trainer import create_app
    from trainer.accounts.models import User
    from trainer.extensions import db
    from trainer.quiz import services

    app = create_app()
    module = app.extensions["trainer.content"].module(MODULE)
    password_hash = generate_password_hash("bench password")
    lesson_requests, submit_requests = [], []
    with app.app_context():
        db.session.execute(db.delete(User))
        users = [User(username=f"bench{i}", full_name=f"Bench Learner {i}", country="JO", language="en",
                      role="learner", active=True, password_hash=password_hash) for i in range(LEARNERS)]
        db.session.add_all(users)
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        for user in users:
            attempt = services.start_attempt(user, module)
            # The session a browser holds after signing in (with Flask-Login's "_id" for this client), so no
            # response needs to send a new cookie.
            with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "bench"}):
                g.pop("csrf_token", None)  # cached per app context, which this loop shares
                session["_user_id"] = str(user.id)
                session["_fresh"] = True
                session["_id"] = _create_identifier()
                token = generate_csrf()
                cookie = f"session={serializer.dumps(dict(session))}"
            wrong = {f"q-{item['q']}": str(next(i for i, o in enumerate(item["o"]) if o not in item["c"]))
                     for item in attempt.questions}
            body = urlencode({"csrf_token": token, **wrong})
            lesson_requests.append(("GET", f"/modules/{MODULE}/lessons/{LESSON}", cookie, None))
            submit_requests.append(("POST", f"/modules/{MODULE}/quiz/attempts/{attempt.number}", cookie, body))
    return env, lesson_requests, submit_requests


def _client(args):
    """One client process: send its requests until the deadline (or they run out); return (done, errors)."""
    port, requests, deadline, cycle = args
    done = errors = 0
    i = 0
    while time.monotonic() < deadline:
        if i >= len(requests):
            if not cycle:
                break
            i = 0
        method, path, cookie, body = requests[i]
        i += 1
        headers = {"Cookie": cookie, "Accept-Encoding": "br, gzip", "User-Agent": "bench"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            ok = response.status in (200, 302) and not (method == "GET" and response.status != 200)
        except OSError:
            ok = False
        done += ok
        errors += not ok
    return done, errors


def measure(port, name, requests, cycle):
    """Requests per second over SECONDS with CLIENTS processes; each request list is split between them."""
    shares = [requests[i::CLIENTS] or requests for i in range(CLIENTS)]
    with multiprocessing.Pool(CLIENTS) as pool:
        started = time.monotonic()
        deadline = started + SECONDS
        results = pool.map(_client, [(port, share, deadline, cycle) for share in shares])
        elapsed = time.monotonic() - started
    done = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    rate = done / elapsed
    log(f"   {name}: {done} ok, {errors} errors in {elapsed:.1f} s = {rate:,.0f}/s")
    if errors:
        raise SystemExit(f"{name}: {errors} requests failed")
    return rate


def main():
    tmp = Path(tempfile.mkdtemp(prefix="trainer-bench-"))
    try:
        log(f"preparing {LEARNERS} learners with open attempts ...")
        env, lessons, submits = prepare(tmp)
        port = free_port()
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--no-control-socket", "--workers", str(WORKERS),
             "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "run:app"],
            cwd=REPO, env=env)
        try:
            for _ in range(100):
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    connection.request("GET", "/healthz")
                    if connection.getresponse().status == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            cookie = lessons[0][2]
            ping = [("GET", "/ping", cookie, None)]
            signed_in = [("GET", "/ping/signed-in", cookie, None)]
            # Warm every worker (content loaded, templates compiled), then measure, baselines before and after.
            measure(port, "warm-up", [("GET", f"/modules/{MODULE}/lessons/{LESSON}", cookie, None)], cycle=True)
            ping_before = measure(port, "/ping", ping, cycle=True)
            signed_before = measure(port, "/ping/signed-in", signed_in, cycle=True)
            lesson = measure(port, "lesson page (first view by each learner)", lessons, cycle=False)
            repeat = measure(port, "lesson page (repeat view)", lessons[:50], cycle=True)
            submit = measure(port, "quiz submission", submits, cycle=False)
            signed_after = measure(port, "/ping/signed-in", signed_in, cycle=True)
            ping_after = measure(port, "/ping", ping, cycle=True)
        finally:
            server.terminate()
            server.wait(timeout=10)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    anonymous = (ping_before + ping_after) / 2
    baseline = (signed_before + signed_after) / 2
    setup = f"{WORKERS} gunicorn workers, {CLIENTS} client processes"

    def row(name, rate, aim):
        ratio = rate / baseline
        return {"benchmark": name, "metric": "ratio to /ping/signed-in", "value": round(ratio, 2),
                "unit": f"({rate:,.0f} req/s; {rate / anonymous:.2f} x /ping)", "aim": f">= {aim}",
                "met": ratio >= aim}

    rows = [
        {"benchmark": f"/ping, no session ({setup})", "metric": "throughput", "value": round(anonymous),
         "unit": "req/s", "aim": "", "met": None},
        {"benchmark": f"/ping/signed-in ({setup})", "metric": "throughput", "value": round(baseline),
         "unit": "req/s", "aim": "baseline", "met": None},
        row("lesson page, first view", lesson, 0.5),
        row("lesson page, repeat view", repeat, 0.5),
        row("quiz submission", submit, 0.25),
    ]
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
