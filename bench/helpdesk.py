"""django-helpdesk 2.6.1's own email import (`manage.py get_email`), timed on a folder of .eml files.

The email benchmark's peer: the gateway's end-to-end email rate is reported as a ratio against this one, on the same
corpus in the same run. django-helpdesk runs in a virtualenv of its own under `cache` (made once, reused), in a
throwaway Django project on SQLite whose queue reads a "local" mailbox: get_email lists that folder (os.listdir, so in
the file system's order, not by name), reads each file and deletes it once it became a ticket or a follow-up. Its
acknowledgements go to `smtp_port` through Django's real SMTP backend, a connection per mail. Only the get_email
process is timed, its start (about 1 s) included; the virtualenv, `migrate` and the queue are set up before.

Every imported mail is one FollowUp row, so `followups` is the count of mails imported. A reply threaded by
In-Reply-To adds no Ticket, unless get_email meets it before its original (then it opens a ticket of its own).
A file that is not UTF-8 (an 8bit Latin-1 body) stops the whole queue: get_email logs it and exits 0, we raise.

`python -m bench.helpdesk FOLDER [SMTP_PORT]` prints the result as JSON (without a port, an aiosmtpd sink is started).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from bench.virtualenvs import cached_virtualenv, child_env, run, tail
from tests.e2e.harness import SinkHandler
from tests.e2e.harness import smtp_sink as harness_sink

VERSION = "2.6.1"
QUEUE_FAILED = "Queue processing failed"  # logged by process_email, which then exits 0 with the mails left

# docs/install.rst's project, less pinax-teams (HELPDESK_TEAMS_MODE_ENABLED = False, docs/teams.rst) and bootstrap4form
# (2.6.1's templates load its own bootstrap5_form tags); rest_framework for its API urls. DEBUG off: no query log.
SETTINGS = '''"""A throwaway Django project for timing django-helpdesk's get_email (written by bench/helpdesk.py)."""
from pathlib import Path

BASE = Path(__file__).resolve().parent
SECRET_KEY = "bench-only-not-secret"
DEBUG = False
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "django.contrib.staticfiles", "django.contrib.sites", "django.contrib.humanize",
    "rest_framework", "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware", "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware", "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True, "OPTIONS": {
    "context_processors": ["django.template.context_processors.request", "django.contrib.auth.context_processors.auth",
                           "django.contrib.messages.context_processors.messages"]}}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE / "db.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SITE_ID = 1
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"
MEDIA_ROOT = BASE / "media"
LOGIN_URL = "helpdesk:login"
HELPDESK_TEAMS_MODE_ENABLED = False
DEFAULT_FROM_EMAIL = "soporte@tecnolinux.com"
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_USE_TLS = False
EMAIL_USE_SSL = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "handlers": {"err": {"class": "logging.StreamHandler"}},
           "loggers": {"django.helpdesk": {"handlers": ["err"], "level": "WARNING"}}}
'''
URLS = 'from django.urls import include, path\n\nurlpatterns = [path("helpdesk/", include("helpdesk.urls"))]\n'
MANAGE = """import os, sys
from django.core.management import execute_from_command_line

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
execute_from_command_line(sys.argv)
"""
# logging_type "warn" without a logging_dir: its warnings (a mail left in the box) reach stderr through LOGGING.
CREATE_QUEUE = """from helpdesk.models import Queue
Queue.objects.create(title="Soporte", slug="soporte", email_address="soporte@tecnolinux.com",
    allow_email_submission=True, email_box_type="local", email_box_local_dir={box!r}, email_box_interval=5,
    logging_type="warn")
"""


def helpdesk_python(cache: Path) -> tuple[Path, str]:
    """The helpdesk virtualenv's python and its Django version, installing django-helpdesk the first time."""
    python = cached_virtualenv(cache / f"helpdesk-{VERSION}", f"django-helpdesk=={VERSION}")
    django = python.parent.parent / ".django"
    if not django.exists():
        django.write_text(run([str(python), "-c", "import django; print(django.get_version())"]))
    return python, django.read_text().strip()


def write_project(project: Path, smtp_port: int) -> None:
    (project / "settings.py").write_text(SETTINGS + f"EMAIL_PORT = {smtp_port}\n")
    (project / "urls.py").write_text(URLS)
    (project / "manage.py").write_text(MANAGE)


def copy_mails(mails: Path, box: Path) -> int:
    """Copies the *.eml files into the box (get_email deletes each one it imports); how many there are."""
    box.mkdir()
    files = sorted(mails.glob("*.eml"))
    for file in files:
        shutil.copyfile(file, box / file.name)
    return len(files)


def timed_get_email(python: Path, project: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one `manage.py get_email` run; RuntimeError when it failed."""
    with tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen([str(python), "manage.py", "get_email"], cwd=project, env=child_env(), stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
        err.seek(0)
        stderr = err.read()
    if process.returncode != 0 or QUEUE_FAILED in stderr:
        raise RuntimeError(f"get_email failed (exit {process.returncode}):\n{tail(stderr)}")
    return seconds, usage.ru_maxrss / 1024  # KB on Linux


def count_rows(database: Path) -> tuple[int, int]:
    with sqlite3.connect(database) as db:
        tickets = db.execute("SELECT count(*) FROM helpdesk_ticket").fetchone()[0]
        followups = db.execute("SELECT count(*) FROM helpdesk_followup").fetchone()[0]
    return int(tickets), int(followups)


def run_helpdesk(mails: Path, smtp_port: int, cache: Path) -> dict[str, Any]:
    """Imports the *.eml files of `mails` with django-helpdesk's get_email; its counts, time and peak RSS."""
    python, django = helpdesk_python(cache)
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-") as folder:
        project, box = Path(folder), Path(folder) / "mailbox"
        count = copy_mails(mails, box)
        write_project(project, smtp_port)
        run([str(python), "manage.py", "migrate", "--no-input"], cwd=project)
        run([str(python), "manage.py", "shell", "-c", CREATE_QUEUE.format(box=str(box))], cwd=project)
        seconds, rss_mb = timed_get_email(python, project)
        tickets, followups = count_rows(project / "db.sqlite3")
    return {
        "version": VERSION,
        "django": django,
        "mails": count,
        "tickets": tickets,
        "followups": followups,
        "seconds": round(seconds, 3),
        "per_second": round(count / seconds, 1),
        "rss_peak_mb": round(rss_mb, 1),
    }


class Sink(SinkHandler):
    """Takes any mail and counts it (without keeping it)."""

    def __init__(self) -> None:
        super().__init__()
        self.received = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received += 1
        return "250 OK"


@contextmanager
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    """A counting SMTP sink on a free port, for the acknowledgements."""
    sink = Sink()
    with harness_sink(sink) as (_, port):
        yield sink, port


def main() -> None:
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python -m bench.helpdesk FOLDER [SMTP_PORT]")
    mails, cache = Path(sys.argv[1]), Path(__file__).parent / ".cache"
    if len(sys.argv) == 3:
        print(json.dumps(run_helpdesk(mails, int(sys.argv[2]), cache), indent=2))
        return
    with smtp_sink() as (sink, port):
        result = run_helpdesk(mails, port, cache)
    print(json.dumps(result | {"smtp_received": sink.received}, indent=2))


if __name__ == "__main__":
    main()
