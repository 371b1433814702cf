"""What a benchmark says about itself besides the numbers: `TableMeta` and its typed `TableDetails`.

`TableMeta.extra` is the mapping a table file stores (JSON, written and hashed as stored,
unknown keys kept); code reads it through `TableMeta.details` (typed fields, with the defaults a
table without the key gets) and writes it through `TableMeta.with_extra`.

This module imports nothing of the project.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping


def _mapping(v: Any) -> dict[str, Any]:
    return dict(v) if isinstance(v, Mapping) else {}


@dataclass(frozen=True)
class TableDetails:
    """The `extra` keys read across modules, typed.

    A key that is absent, or of another type, gives the field's default.

    Attributes:
        data: the training data as recorded (a generated table's `DataSpec` fields: dataset,
            split seed, sizes, downscale); empty for imported tables.
        data_options: data options a retraining passes to the trainer (where recorded instead of
            `data`).
        training: the recorded training spec (`nasbench.training.nb201_recipe.TrainingSpec` as a dict:
            schedules, metrics, data); empty where none.
        proxies: what the zero-cost proxies were computed on (network, stand-in batch, `passes`,
            `computed`); empty where the table holds none.
        seed_groups: the seeds trained together (a generated table), None where not recorded.
        fingerprint: the machine fingerprint of the table's trainings (a mapping), None where
            unknown or several.
    """

    data: dict[str, Any] = field(default_factory=dict)
    data_options: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    proxies: dict[str, Any] = field(default_factory=dict)
    seed_groups: list[list[int]] | None = None
    fingerprint: dict[str, Any] | None = None

    @classmethod
    def from_extra(cls, extra: Mapping[str, Any] | None) -> "TableDetails":
        """The typed view of a stored `extra` mapping.

        Args:
            extra: `TableMeta.extra` (None: empty).

        Returns:
            The record; keys it does not type are left in `extra`.
        """
        e = extra or {}
        groups = e.get("seed_groups")
        fp = e.get("fingerprint")
        return cls(data=_mapping(e.get("data")), data_options=_mapping(e.get("data_options")),
                   training=_mapping(e.get("training")), proxies=_mapping(e.get("proxies")),
                   seed_groups=groups if isinstance(groups, list) else None,
                   fingerprint=dict(fp) if isinstance(fp, Mapping) else None)

    @property
    def proxy_passes(self) -> dict[str, tuple[str, ...]]:
        """Which proxies share one computation ("pass"): pass name -> its proxies."""
        passes = _mapping(self.proxies.get("passes"))
        return {p: tuple(m) for p, m in passes.items()}

    @property
    def training_metrics(self) -> dict[str, Any]:
        """The training spec's metrics (table metric -> what it measures); empty where none."""
        return _mapping(self.training.get("metrics"))


@dataclass(frozen=True)
class TableMeta:
    """Everything a table says about itself besides the numbers.

    `extra` is the stored mapping (free-form JSON in the file); read it through
    `details`, extend it through `with_extra`.

    Attributes:
        space: the search space's name.
        dataset: the dataset's name.
        split_sizes: split name -> number of examples.
        recipe: the training recipe.
        code_version: the code that wrote the table.
        source: where the data comes from.
        notes: free text.
        extra: further keys, free-form (typed through `details`).
    """

    space: str
    dataset: str
    split_sizes: dict[str, int]
    recipe: dict[str, Any]
    code_version: str
    source: str = ""
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def details(self) -> TableDetails:
        """The `extra` keys read across modules, typed (`TableDetails`)."""
        return TableDetails.from_extra(self.extra)

    def with_extra(self, **keys: Any) -> "TableMeta":
        """A copy whose `extra` has `keys` set (the other keys kept).

        Args:
            **keys: the `extra` keys to set (for example `proxies=...`, `training=...`).

        Returns:
            The new metadata.
        """
        return replace(self, extra={**self.extra, **keys})

    @classmethod
    def from_dict(cls, d: Any, where: str, error: type[Exception]) -> "TableMeta":
        """The metadata a file stores, checked by type.

        The text fields are strings, `split_sizes` maps names to non-negative integers, `recipe`
        and `extra` are mappings.

        Args:
            d: the stored mapping (parsed from the file).
            where: the file, for the messages.
            error: the project error to raise (one line naming the field and its type).

        Returns:
            The metadata.

        Raises:
            Exception: `error`, for a field that is unknown, missing or of another type.
        """
        if not isinstance(d, dict):
            raise error(f"{where}: metadata must be a mapping, got {type(d).__name__}")
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(d) - set(names))
        if unknown:
            raise error(f"{where}: unknown metadata field {unknown[0]!r}; allowed: {', '.join(names)}")
        for k in ("space", "dataset", "code_version", "source", "notes"):
            if k in d and not isinstance(d[k], str):
                raise error(f"{where}: metadata {k} must be a string, got {type(d[k]).__name__}")
        for k in ("split_sizes", "recipe", "extra"):
            if k in d and not (isinstance(d[k], dict) and all(isinstance(x, str) for x in d[k])):
                raise error(f"{where}: metadata {k} must be a mapping with string keys, got {type(d[k]).__name__}")
        bad = [k for k, v in d.get("split_sizes", {}).items()
               if isinstance(v, bool) or not isinstance(v, int) or v < 0]
        if bad:
            raise error(f"{where}: metadata split_sizes[{bad[0]!r}] must be a non-negative integer, "
                        f"got {d['split_sizes'][bad[0]]!r}")
        missing = [k for k in ("space", "dataset", "split_sizes", "recipe", "code_version") if k not in d]
        if missing:
            raise error(f"{where}: metadata lacks {', '.join(missing)}")
        return cls(**d)
