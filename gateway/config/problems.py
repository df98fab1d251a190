"""Configuration problems, reported all at once, each with its file and line: reading TOML and validating it.

Every file the admin edits is read through here, so every problem reads the same: `file:line: where: what`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gateway.config.toml_locate import locate

Model = TypeVar("Model", bound=BaseModel)


class ConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Problems:
    """The problems found so far, in the order found."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: Path, where: str, what: str, line: int | None = None) -> None:
        place = f"{path}:{line}" if line else str(path)
        self.items.append(f"{place}: {where}: {what}" if where else f"{place}: {what}")


def read_toml(path: Path, problems: Problems) -> tuple[dict[str, Any], str] | None:
    """The file's data and text, or None (and the problem noted) when it cannot be read as TOML."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.add(path, "", "file not found")
        return None
    except (OSError, UnicodeDecodeError) as error:
        problems.add(path, "", f"cannot read: {error}")
        return None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        problems.add(path, "", f"not valid TOML: {error}")
        return None


def validate(model: type[Model], data: Any, path: Path, text: str, problems: Problems) -> Model | None:
    """The data as `model`, or None with one problem per error, each at the line it points to."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            loc = tuple(item["loc"])
            names = [str(part) for part in loc if part != "[key]"]  # pydantic's marker of a bad table name
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "unknown setting (check the spelling)"
            elif "[key]" in loc:
                message = f"{names[-1]!r} is not allowed here: {message}"
            problems.add(path, ".".join(names), message, locate(text, names))
        return None
