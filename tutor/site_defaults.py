"""Defaults an administrator sets for every learner on a shared server.

A class of 30 on one GPU server at the built-in 0.9 memory fraction each would promise the GPU
nine times over. An administrator sets a fair share (and other defaults) once, for everybody:

- environment variables: PTREF_GPU_MEMORY_FRACTION, PTREF_MEMORY_LIMIT, PTREF_IDLE_RELEASE,
  PTREF_THREADS (e.g. in /etc/environment or a module file), or
- a TOML file, `defaults.toml` in the platform's site config folder (on Linux
  /etc/xdg/ptref-tutor/defaults.toml; PTREF_SITE_CONFIG names another file):

      gpu_memory_fraction = 0.08   # 10 learners per GPU, with room for their CUDA contexts
      idle_release = 10            # minutes without a run before a learner's workers stop
      memory_limit = "2G"
      threads = 1

Environment variables win over the file; a learner's own flags win over both. A value that does
not parse is ignored with a warning (never a traceback); `doctor` shows where each default came from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tutor.options import parse_size

FILE_VARIABLE = "PTREF_SITE_CONFIG"
KEYS = {"gpu_memory_fraction": "PTREF_GPU_MEMORY_FRACTION", "memory_limit": "PTREF_MEMORY_LIMIT",
        "idle_release": "PTREF_IDLE_RELEASE", "threads": "PTREF_THREADS"}


@dataclass
class SiteDefaults:
    values: dict[str, object] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)  # key -> "PTREF_X" or the file's path
    warnings: list[str] = field(default_factory=list)


def site_config_file() -> Path:
    override = os.environ.get(FILE_VARIABLE)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.site_config_dir("ptref-tutor")) / "defaults.toml"


def load_site_defaults() -> SiteDefaults:
    found = SiteDefaults()
    path = site_config_file()
    if path.is_file():
        import tomllib  # only when there are site defaults: every start of the app comes here

        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            found.warnings.append(f"{path}: ignored, it is not readable TOML ({exc})")
            table = {}
        for key, value in table.items():
            if key not in KEYS:
                found.warnings.append(f"{path}: unknown key '{key}' ignored (one of: {', '.join(KEYS)})")
                continue
            _take(found, key, value, str(path))
    for key, variable in KEYS.items():
        if os.environ.get(variable, "").strip():
            _take(found, key, os.environ[variable].strip(), variable)
    return found


def _take(found: SiteDefaults, key: str, raw: object, origin: str) -> None:
    try:
        value = _parse(key, raw)
    except (TypeError, ValueError) as exc:
        found.warnings.append(f"{origin}: {key} ignored: {exc}")
        return
    found.values[key] = value
    found.origins[key] = origin


def _parse(key: str, raw: object) -> object:
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a value for {key}")
    if key == "gpu_memory_fraction":
        value = float(raw)  # type: ignore[arg-type]
        if not 0 < value <= 1:
            raise ValueError(f"{raw!r} is not a fraction between 0 and 1")
        return value
    if key == "memory_limit":
        return parse_size(str(raw))
    value = float(raw) if key == "idle_release" else int(raw)  # type: ignore[arg-type]
    if value < (0 if key == "idle_release" else 1):
        raise ValueError(f"{raw!r} is out of range")
    return value
