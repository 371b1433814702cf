"""Optional libraries, imported only when a bridge is used, with a one-line error naming the extra."""
from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import NasbenchError

#: module -> (extra of `pip install 'nasbench[EXTRA]'`, the pinned release line)
EXTRAS: dict[str, tuple[str, str]] = {
    "optuna": ("optuna", "optuna>=5.0.0"),
    "ConfigSpace": ("configspace", "ConfigSpace>=1.2.2"),
    "smac": ("smac", "smac>=2.4.1"),
    "optunahub": ("optunahub", "optunahub>=0.5.0"),
    "syne_tune": ("synetune", "syne-tune>=0.16.0"),
}


class MissingExtra(NasbenchError, ValueError, ImportError):
    """An optional library is not installed (a project error, so the CLI exits 2 with the message)."""


def require(module: str) -> ModuleType:
    """Import an optional library, or say which extra installs it.

    Args:
        module: the module's import name, e.g. `optuna`.

    Returns:
        The imported module.

    Raises:
        MissingExtra: the module is not installed (the message names the `pip install` line).
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra, pin = EXTRAS.get(module, (module.lower(), module))
        raise MissingExtra(f"{module} is not installed ({exc.msg if hasattr(exc, 'msg') else exc}); "
                           f"install it with: pip install 'nasbench[{extra}]' ({pin})") from None


def quiet_optuna() -> ModuleType:
    """`import optuna` with its per-trial INFO logging and experimental warnings silenced.

    Returns:
        The `optuna` module.

    Raises:
        MissingExtra: Optuna is not installed.
    """
    import warnings

    optuna = require("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    return optuna
