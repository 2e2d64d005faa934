"""Presets: TOML files that speak Keras, loaded into typed specs and saved back unchanged.

A preset names Keras classes and their constructor keyword arguments::

    name = "fashion-dropout"
    [data]
    source = "keras:fashion_mnist"
    scaling = "divide255"
    [[model.layers]]
    type = "Dense"
    units = 100
    activation = "relu"
    [compile]
    loss = "sparse_categorical_crossentropy"
    optimizer = "adam"          # or a table: [compile.optimizer] type = "sgd", learning_rate = 0.1
    metrics = ["accuracy"]
    [fit]
    epochs = 20
    validation_split = 0.2
    [callbacks.EarlyStopping]
    patience = 2

Every problem becomes a ``PresetError`` naming the file, the key path and what is allowed: pydantic
checks [data] and [fit] here, with the catalog's limits; core/preset_checks.py checks the layers,
[compile] and [callbacks.*] and words pydantic's errors.
"""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import tomli_w
from annotated_types import Interval
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from nnbench.core import catalog
from nnbench.core.errors import PresetError, did_you_mean, one_of
from nnbench.core.preset_checks import check_sections, validation_error

DATA_SCHEMES = ("sklearn", "keras", "csv", "npz", "images", "text")
SKLEARN_SETS = ("digits", "breast_cancer", "iris", "wine", "diabetes")
KERAS_SETS = ("mnist", "fashion_mnist", "cifar10", "imdb", "reuters", "boston_housing",
              "california_housing")


def _within(name: str) -> Interval:
    """The catalog's limits of ``name`` as pydantic's constraint (pydantic words the message)."""
    lim = catalog.LIMITS[name]
    return Interval(gt=lim.low if lim.low_open else None, ge=None if lim.low_open else lim.low,
                    lt=lim.high if lim.high_open else None, le=None if lim.high_open else lim.high)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class DataSpec(_Strict):
    source: str = Field(description="scheme:name or scheme:path, e.g. sklearn:digits, csv:data.csv")
    scaling: catalog.Scaling = "none"
    test_split: Annotated[float, _within("test_split")] | None = Field(
        None, description="test fraction when the source has no test split")
    num_words: Annotated[int, _within("num_words")] | None = Field(
        None, description="imdb/reuters/text: keep the most frequent words")
    maxlen: Annotated[int, _within("maxlen")] | None = Field(
        None, description="pad/truncate sequences to this length")
    target: str | None = Field(None, description="csv: the target column (default: the last)")
    image_size: tuple[int, int] | None = Field(None, description="images: resize to height, width")
    color_mode: Literal["rgb", "grayscale", "rgba"] | None = None
    max_samples: Annotated[int, _within("max_samples")] | None = Field(
        None, description="use only the first N training samples")

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        scheme, sep, rest = value.partition(":")
        if not sep or not rest:
            raise ValueError(f"'{value}' is not scheme:name; use {one_of(DATA_SCHEMES)}, "
                             "e.g. sklearn:digits or csv:path/to/file.csv")
        if scheme not in DATA_SCHEMES:
            raise ValueError(f"unknown data scheme '{scheme}'; use {one_of(DATA_SCHEMES)}, e.g. "
                             "sklearn:digits or csv:path/to/file.csv."
                             + did_you_mean(scheme, DATA_SCHEMES))
        known = {"sklearn": SKLEARN_SETS, "keras": KERAS_SETS}.get(scheme)
        if known and rest not in known:
            raise ValueError(f"unknown {scheme} data set '{rest}'; use {one_of(known)}."
                             + did_you_mean(rest, known))
        return value

    @property
    def scheme(self) -> str:
        return self.source.partition(":")[0]

    @property
    def target_name(self) -> str:
        return self.source.partition(":")[2]


class LayerSpec(BaseModel):
    """One layer: a Keras class name plus its constructor keyword arguments."""

    model_config = ConfigDict(extra="forbid")
    type: str
    name: str | None = None
    inputs: list[str] | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _split_params(cls, raw: Any) -> Any:
        # In TOML the keyword arguments sit beside `type`; gather them into `params`.
        if isinstance(raw, dict) and "params" not in raw:
            fixed = {k: raw[k] for k in ("type", "name", "inputs") if k in raw}
            fixed["params"] = {k: v for k, v in raw.items() if k not in fixed}
            return fixed
        return raw

    def to_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.name is not None:
            out["name"] = self.name
        if self.inputs is not None:
            out["inputs"] = list(self.inputs)
        out.update(self.params)
        return out


class ModelSpec(_Strict):
    layers: list[LayerSpec] = Field(default_factory=list)


class OptimizerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = "rmsprop"
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_name_or_table(cls, raw: Any) -> Any:
        if isinstance(raw, str):
            return {"type": raw, "params": {}}
        if isinstance(raw, dict) and "params" not in raw:
            return {"type": raw.get("type", "rmsprop"),
                    "params": {k: v for k, v in raw.items() if k != "type"}}
        return raw

    def to_toml(self) -> str | dict[str, Any]:
        return {"type": self.type, **self.params} if self.params else self.type


class CompileSpec(_Strict):
    loss: str = "sparse_categorical_crossentropy"
    optimizer: OptimizerSpec = Field(default_factory=OptimizerSpec)
    metrics: list[str] = Field(default_factory=list)

    @field_validator("metrics", mode="before")
    @classmethod
    def _one_metric(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class FitSpec(_Strict):
    epochs: Annotated[int, _within("epochs")] = 1
    batch_size: Annotated[int, _within("batch_size")] = 32
    validation_split: Annotated[float, _within("validation_split")] | None = Field(
        None, description="hold out this fraction (the last samples, as Keras does)")
    validation_first: Annotated[int, _within("validation_first")] | None = Field(
        None, description="hold out the first N training samples")
    validation_data: Literal["test"] | None = Field(None, description="validate on the test split")
    shuffle: bool = True
    seed: int | None = Field(None, description="same seed, same history")
    # Where it trains (core/strategy.py checks these and says what to change).
    strategy: Literal["default", "one_device", "mirrored", "multi_worker"] = "default"
    devices: list[str] = Field(default_factory=list, description='e.g. ["GPU:0", "GPU:1"]')
    mixed_precision: bool = Field(False, description="mixed_float16 on a GPU, loss scaled by Keras")
    jit_compile: bool = Field(False, description="compile the train step with XLA")

    @model_validator(mode="after")
    def _placement(self) -> FitSpec:
        from nnbench.core.strategy import fit_problem

        problem = fit_problem(self.strategy, self.devices)
        if problem:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _one_validation(self) -> FitSpec:
        chosen = [k for k in ("validation_split", "validation_first", "validation_data")
                  if getattr(self, k) is not None]
        if len(chosen) > 1:
            raise ValueError(f"choose one way to validate, not {' and '.join(chosen)}; keep one of "
                             "validation_split, validation_first or validation_data")
        return self

    @property
    def has_validation(self) -> bool:
        return any(v is not None for v in (self.validation_split, self.validation_first,
                                            self.validation_data))


_PLACEMENT_DEFAULTS: dict[str, Any] = {"strategy": "default", "devices": [],
                                       "mixed_precision": False, "jit_compile": False}


class Preset(_Strict):
    name: str = "untitled"
    description: str = ""
    data: DataSpec
    model: ModelSpec
    compile: CompileSpec = Field(default_factory=CompileSpec)
    fit: FitSpec = Field(default_factory=FitSpec)
    callbacks: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def to_toml_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        out["data"] = self.data.model_dump(exclude_none=True, exclude_defaults=False)
        out["model"] = {"layers": [layer.to_toml() for layer in self.model.layers]}
        out["compile"] = {"loss": self.compile.loss, "optimizer": self.compile.optimizer.to_toml(),
                          "metrics": list(self.compile.metrics)}
        out["fit"] = self.fit.model_dump(exclude_none=True)
        for key, default in _PLACEMENT_DEFAULTS.items():  # a preset names them only when changed
            if out["fit"].get(key) == default:
                del out["fit"][key]
        if self.callbacks:
            out["callbacks"] = copy.deepcopy(self.callbacks)
        return out

    def to_toml(self) -> str:
        return tomli_w.dumps(_tuples_to_lists(self.to_toml_dict()))

    def copy_with(self, **changes: Any) -> Preset:
        return self.model_copy(update=changes, deep=True)


def _tuples_to_lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _tuples_to_lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_tuples_to_lists(v) for v in value]
    return value


# --- loading -------------------------------------------------------------------------------------


def _table_keys() -> dict[tuple[str, ...], list[str]]:
    """Each table's allowed keys, for "did you mean" on a misspelt one."""
    return {(): list(Preset.model_fields), ("data",): list(DataSpec.model_fields),
            ("fit",): list(FitSpec.model_fields), ("compile",): list(CompileSpec.model_fields),
            ("model",): list(ModelSpec.model_fields)}


def preset_from_dict(raw: dict[str, Any], *, file: str | None = None) -> Preset:
    """Validate a parsed TOML document into a ``Preset`` or raise ``PresetError``."""
    if not isinstance(raw, dict):
        raise PresetError("a preset must be a TOML table", file=file)
    if "data" not in raw:
        raise PresetError("missing [data] section; add one with a source, e.g. [data] "
                          "source = \"sklearn:digits\"", key="data", file=file)
    if "model" not in raw:
        raise PresetError("missing [model] section; add [[model.layers]] tables, each with a "
                          "type such as \"Dense\"", key="model", file=file)
    try:
        check_sections(raw, file)
        return Preset.model_validate(raw)
    except RecursionError:
        raise PresetError(_TOO_DEEP, file=file) from None
    except ValidationError as exc:
        raise validation_error(exc, raw, file, _table_keys()) from None


_TOO_DEEP = ("values are nested too deeply (lists or tables inside each other thousands of levels "
             "down); a preset needs at most a few levels")


def loads_preset(text: str, *, file: str | None = None) -> Preset:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"not valid TOML: {exc}", file=file) from None
    except RecursionError:
        raise PresetError(_TOO_DEEP, file=file) from None
    return preset_from_dict(raw, file=file)


def bundled_presets() -> dict[str, str]:
    """Bundled preset names -> their descriptions."""
    out: dict[str, str] = {}
    for entry in sorted(resources.files("nnbench.presets").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            raw = tomllib.loads(entry.read_text(encoding="utf-8"))
            out[entry.name.removesuffix(".toml")] = raw.get("description", "")
    return out


DEFAULT_PRESET = "digits-mlp"


def load_preset(name_or_path: str | Path) -> Preset:
    """Load a preset by path, or by name: the user's saved presets first, then the bundled ones.

    A saved preset (in ``nnbench.core.user_presets.user_presets_dir()``) named like a bundled one
    wins, so ``nnbench digits-mlp`` opens the user's own edited copy; ``nnbench presets`` says so.
    """
    from nnbench.core.user_presets import user_preset_path, user_presets

    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists() or "/" in str(name_or_path):
        if not path.is_file():
            raise PresetError(f"no preset file at {path}; check the path, or use a bundled "
                              f"preset: {', '.join(bundled_presets())}", file=str(path))
        return _load_file(path)
    name = str(name_or_path)
    mine = user_preset_path(name)
    if mine is not None:
        return _load_file(mine)
    bundled = bundled_presets()
    if name not in bundled:
        saved = [p.stem for p, _ in user_presets()]
        known = [*bundled, *saved]
        yours = f" or one of yours ({', '.join(saved)})" if saved else ""
        raise PresetError(f"no bundled or saved preset named '{name}'; use {one_of(bundled)}{yours}, "
                          "or give a path to a .toml file." + did_you_mean(name, known))
    text = resources.files("nnbench.presets").joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return loads_preset(text, file=f"{name}.toml")


def _load_file(path: Path) -> Preset:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetError(f"cannot read the file: {exc}", file=str(path)) from None
    preset = loads_preset(text, file=str(path))
    return _resolve_paths(preset, path.parent)


def _resolve_paths(preset: Preset, base: Path) -> Preset:
    """Make file sources relative to the preset's folder absolute, so the run can be replayed."""
    scheme, _, rest = preset.data.source.partition(":")
    if scheme in ("csv", "npz", "images", "text") and not Path(rest).expanduser().is_absolute():
        data = preset.data.model_copy(update={"source": f"{scheme}:{(base / rest).resolve()}"})
        return preset.model_copy(update={"data": data})
    return preset


def save_preset(preset: Preset, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(preset.to_toml(), encoding="utf-8")
    tmp.replace(path)
    return path
