"""Pure functions from one inbound message to one written request (text cleaning, language, priority, loops).

Imports only `ticketing.types` from the project; nothing here does I/O.
"""

from normalizer.language import LanguageDetector
from normalizer.request import Normalizer

__all__ = ["LanguageDetector", "Normalizer"]
