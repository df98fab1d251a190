"""mailgun/talon, the reply-trimming library `bench.quotes_report` compares ours with, in a virtualenv of its own.

talon 1.4.4 (its last release) pulls scikit-learn, numpy and lxml: too much to add to the project's dependencies
for a comparison. `strip_all` installs it under `bench/.cache` the first time and runs every text through its
plain-text quotation cut (`quotations.extract_from_plain`) and then its rule-based signature cut
(`signature.bruteforce.extract_signature`), in one subprocess.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.virtualenvs import cached_virtualenv, run

VERSION = "1.4.4"
CACHE = Path(__file__).with_name(".cache")
SCRIPT = """
import json, sys
import talon
from talon import quotations
from talon.signature.bruteforce import extract_signature

talon.init()
results = []
for text in json.load(sys.stdin):
    try:
        results.append(extract_signature(quotations.extract_from_plain(text))[0])
    except Exception:
        results.append(None)
json.dump(results, sys.stdout)
"""


def strip_all(texts: list[str], cache: Path = CACHE) -> list[str | None]:
    """talon's text for each of `texts` (None where it raised); RuntimeError when it cannot be installed or run."""
    python = cached_virtualenv(cache / f"talon-{VERSION}", f"talon=={VERSION}")
    results: list[str | None] = json.loads(run([str(python), "-c", SCRIPT], stdin=json.dumps(texts)))
    return results
