"""What every settings section shares, the gateway's own and each channel's (`[channels.<name>]`).

Sections are pydantic models: an unknown key is an error (a typo must not be silently ignored) and values are
frozen. Secrets never appear in a section: settings ending in `_env` name the environment variable that holds one.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Port = Annotated[int, Field(ge=1, le=65535)]
SettingPath = tuple[str | int, ...]  # where a setting is in gateway.toml, e.g. ("channels", "email", "outgoing")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def named_secrets(where: SettingPath, section: BaseModel, *fields: str) -> list[tuple[SettingPath, str]]:
    """The environment variables `fields` of `section` name (unset ones left out), each with its setting's path."""
    named = ((field, getattr(section, field)) for field in fields)
    return [((*where, field), name) for field, name in named if name]
