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

Every problem becomes a ``PresetError`` naming the file, the key path and what is allowed.
"""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal, NoReturn

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from nnbench.core import catalog, names
from nnbench.core.catalog import Param
from nnbench.core.errors import PresetError, did_you_mean, one_of

DATA_SCHEMES = ("sklearn", "keras", "csv", "npz", "images", "text")
SKLEARN_SETS = ("digits", "breast_cancer", "iris", "wine", "diabetes")
KERAS_SETS = ("mnist", "fashion_mnist", "cifar10", "imdb", "reuters", "boston_housing",
              "california_housing")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class DataSpec(_Strict):
    source: str = Field(description="scheme:name or scheme:path, e.g. sklearn:digits, csv:data.csv")
    scaling: Literal["none", "divide255", "standardize"] = "none"
    test_split: float | None = Field(None, gt=0, lt=1,
                                     description="test fraction when the source has no test split")
    num_words: int | None = Field(None, gt=0,
                                  description="imdb/reuters/text: keep the most frequent words")
    maxlen: int | None = Field(None, gt=0, description="pad/truncate sequences to this length")
    target: str | None = Field(None, description="csv: the target column (default: the last)")
    image_size: tuple[int, int] | None = Field(None, description="images: resize to height, width")
    color_mode: Literal["rgb", "grayscale", "rgba"] | None = None
    max_samples: int | None = Field(None, gt=0, description="use only the first N training samples")

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
    epochs: int = Field(1, ge=1, le=100_000)
    batch_size: int = Field(32, ge=1)
    validation_split: float | None = Field(
        None, gt=0, lt=1, description="hold out this fraction (the last samples, as Keras does)")
    validation_first: int | None = Field(None, ge=1,
                                         description="hold out the first N training samples")
    validation_data: Literal["test"] | None = Field(None, description="validate on the test split")
    shuffle: bool = True
    seed: int | None = Field(None, description="same seed, same history")

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


def _key_path(loc: tuple[Any, ...], raw: dict[str, Any]) -> str:
    parts: list[str] = []
    node: Any = raw
    for item in loc:
        if isinstance(item, int):
            parts[-1] += f"[{item}]"
        elif item in ("params", "str", "dict[str,any]") or item.startswith("function-"):
            # pydantic's own steps (validators, dict value types), not keys a person wrote
            continue
        else:
            parts.append(str(item))
        node = node[item] if isinstance(node, (dict, list)) and _has(node, item) else None
    return ".".join(parts)


def _has(node: Any, item: Any) -> bool:
    if isinstance(node, dict):
        return item in node
    return isinstance(item, int) and 0 <= item < len(node)


class _Check:
    """Checks pydantic can't phrase well, one section at a time: Keras class and identifier names,
    with suggestions; the first problem is raised as a ``PresetError``."""

    def __init__(self, raw: dict[str, Any], file: str | None) -> None:
        self.raw = raw
        self.file = file

    def fail(self, key: str, message: str) -> NoReturn:
        raise PresetError(message, key=key, file=self.file)

    def all(self) -> None:
        self.layers()
        self.compile()
        self.callbacks()

    # --- [[model.layers]] ---------------------------------------------------------------------

    def layers(self) -> None:
        model = self.raw.get("model")
        layers = model.get("layers") if isinstance(model, dict) else None
        if not isinstance(layers, list) or not layers:
            self.fail("model.layers", "the model has no layers; add at least one [[model.layers]] "
                      "table with a type, e.g. type = \"Dense\"")
        for i, layer in enumerate(layers):
            self.layer_type(i, layer)
        self.names_unique(layers)
        # Every name the stack shows (automatic ones too) can be referenced by a later layer.
        shown = names.layer_names((layer["type"], layer.get("name") or None) for layer in layers)
        for i, layer in enumerate(layers):
            self.layer_params(i, layer)
            self.layer_inputs(i, layer, shown[:i])
        self.layers_used(layers, shown)

    def layer_type(self, i: int, layer: Any) -> None:
        key = f"model.layers[{i}]"
        if not isinstance(layer, dict):
            self.fail(key, "each layer must be a table like { type = \"Dense\", units = 10 }")
        kind = layer.get("type")
        if kind is None:
            self.fail(f"{key}.type",
                      f"missing layer type; add type = \"Dense\" or {one_of(catalog.LAYERS)}")
        if not isinstance(kind, str):
            self.fail(f"{key}.type", "the layer type is a Keras class name in quotes, not "
                      f"{kind!r}; use {one_of(catalog.LAYERS)}")
        if kind not in catalog.LAYERS:
            self.fail(f"{key}.type", f"unknown layer type '{kind}'; use {one_of(catalog.LAYERS)}."
                      + did_you_mean(kind, catalog.LAYERS))
        if kind == "Input" and i > 0:
            self.fail(f"{key}.type", "Input can only be the first layer; remove this one, or move "
                      "it to the top of the stack")
        name = layer.get("name")
        if name is not None and not isinstance(name, str):
            self.fail(f"{key}.name", f"a layer name is text in quotes, not {name!r}")

    def layer_params(self, i: int, layer: dict[str, Any]) -> None:
        key, kind = f"model.layers[{i}]", layer["type"]
        for akey in ("activation", "recurrent_activation"):
            act = layer.get(akey)
            if act is not None and act not in catalog.ACTIVATIONS:
                self.fail(f"{key}.{akey}", f"unknown activation '{act}'; use "
                          f"{one_of(catalog.ACTIVATIONS)}."
                          + did_you_mean(str(act), catalog.ACTIVATIONS))
        for spec in catalog.LAYERS[kind].params:
            if spec.name not in layer:
                if spec.required and kind != "Activation":
                    self.fail(f"{key}.{spec.name}", f"{kind} needs '{spec.name}' ({spec.kind}"
                              + (f": {spec.help}" if spec.help else "") + f"); add {spec.name} = "
                              "... to this layer")
                continue
            problem = catalog.check_layer_value(spec, layer[spec.name])
            if problem:
                self.fail(f"{key}.{spec.name}", f"{kind} {spec.name} {problem}")

    def layer_inputs(self, i: int, layer: dict[str, Any], earlier: list[str]) -> None:
        inputs = layer.get("inputs")
        if inputs is None:
            return
        key = f"model.layers[{i}].inputs"
        if not isinstance(inputs, list) or not all(isinstance(n, str) for n in inputs):
            self.fail(key, "inputs must be a list of earlier layer names, e.g. [\"a\", \"b\"]")
        for n in inputs:
            if n not in earlier:
                self.fail(key, f"no earlier layer is named '{n}'; name a layer above this one"
                          + (f" ({', '.join(earlier)})" if earlier else "")
                          + "." + did_you_mean(n, earlier))

    def names_unique(self, layers: list[dict[str, Any]]) -> None:
        own = [layer.get("name") or None for layer in layers]
        for i, name in enumerate(own):
            if name and name in own[:i]:
                self.fail(f"model.layers[{i}].name",
                          f"the name '{name}' is used twice; layer names must be unique")

    def layers_used(self, layers: list[dict[str, Any]], shown: list[str]) -> None:
        for i in names.unused_layers([layer.get("inputs") for layer in layers], shown):
            self.fail(f"model.layers[{i}]", names.unused_message(i, layers[i]["type"], shown[i]))

    # --- [compile] ----------------------------------------------------------------------------

    def compile(self) -> None:
        comp = self.raw.get("compile", {})
        if not isinstance(comp, dict):
            self.fail("compile", "compile must be a table with loss, optimizer and metrics")
        self.loss(comp.get("loss"))
        self.optimizer(comp.get("optimizer"))
        self.metrics(comp.get("metrics", []))

    def loss(self, loss: Any) -> None:
        if loss is not None and (not isinstance(loss, str) or
                                 catalog.LOSS_ALIASES.get(loss, loss) not in catalog.LOSSES):
            self.fail("compile.loss", f"unknown loss '{loss}'; use {one_of(catalog.LOSSES)}."
                      + did_you_mean(str(loss), catalog.LOSSES))

    def optimizer(self, opt: Any) -> None:
        if opt is None:
            return
        opt_name = opt.get("type") if isinstance(opt, dict) else opt
        if isinstance(opt, dict) and opt_name is None:
            self.fail("compile.optimizer.type", "the optimizer table needs a type, e.g. type = "
                      f"\"adam\"; use {one_of(catalog.OPTIMIZERS)}")
        if not isinstance(opt_name, str) or opt_name.lower() not in catalog.OPTIMIZERS:
            self.fail("compile.optimizer" + (".type" if isinstance(opt, dict) else ""),
                      f"unknown optimizer '{opt_name}'; use {one_of(catalog.OPTIMIZERS)}."
                      + did_you_mean(str(opt_name), catalog.OPTIMIZERS))
        if not isinstance(opt, dict):
            return
        own = catalog.OPTIMIZERS[opt_name.lower()]
        opt_params = {p.name: p for p in _OPTIMIZER_COMMON + own}
        for k, v in opt.items():
            if k == "type":
                continue
            if k not in opt_params:
                self.fail(f"compile.optimizer.{k}", f"{opt_name} has no parameter '{k}'; use "
                          f"{one_of(opt_params)}." + did_you_mean(k, opt_params))
            problem = _check_value(opt_params[k], v)
            if problem is None and k == "learning_rate" and v <= 0:
                problem = f"must be greater than 0, not {v!r}"
            if problem:
                self.fail(f"compile.optimizer.{k}", problem)

    def metrics(self, metrics: Any) -> None:
        if not isinstance(metrics, (str, list)):
            self.fail("compile.metrics",
                      f"metrics must be a list of names like [\"accuracy\"], not {metrics!r}")
        listed = [metrics] if isinstance(metrics, str) else metrics
        for i, m in enumerate(listed):
            if not isinstance(m, str) or m.lower() not in catalog.METRICS:
                self.fail(f"compile.metrics[{i}]", f"unknown metric '{m}'; use "
                          f"{one_of(catalog.METRICS)}." + did_you_mean(str(m), catalog.METRICS))
            if m.lower() in (str(n).lower() for n in listed[:i]):
                self.fail(f"compile.metrics[{i}]", f"{m} is listed twice; remove one")

    # --- [callbacks.*] ------------------------------------------------------------------------

    def callbacks(self) -> None:
        callbacks = self.raw.get("callbacks", {})
        if not isinstance(callbacks, dict):
            self.fail("callbacks", "callbacks must be tables like [callbacks.EarlyStopping]")
        for cb_name, cb in callbacks.items():
            if cb_name not in catalog.CALLBACKS:
                self.fail(f"callbacks.{cb_name}", f"unknown callback '{cb_name}'; use "
                          f"{one_of(catalog.CALLBACKS)}." + did_you_mean(cb_name, catalog.CALLBACKS))
            if not isinstance(cb, dict):
                self.fail(f"callbacks.{cb_name}", "a callback must be a table of its keyword "
                          "arguments")
            allowed = {p.name: p for p in catalog.CALLBACKS[cb_name]}
            for k, v in cb.items():
                if k not in allowed:
                    self.fail(f"callbacks.{cb_name}.{k}", f"{cb_name} has no parameter '{k}'; use "
                              f"{one_of(allowed)}." + did_you_mean(k, allowed))
                problem = _check_value(allowed[k], v)
                if problem:
                    self.fail(f"callbacks.{cb_name}.{k}", problem)


def _check_names(raw: dict[str, Any], file: str | None) -> None:
    _Check(raw, file).all()


# Every Keras optimizer takes these keyword arguments besides its own.
_OPTIMIZER_COMMON = tuple(Param(name, kind) for name, kind in (
    ("clipnorm", "float"), ("clipvalue", "float"), ("global_clipnorm", "float"),
    ("weight_decay", "float"), ("epsilon", "float"), ("use_ema", "bool")))


def _check_value(param: catalog.Param, value: Any) -> str | None:
    if param.kind == "int" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        return f"must be a whole number >= 0, not {value!r}"
    if param.kind == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return f"must be a number, not {value!r}"
    if param.kind == "bool" and not isinstance(value, bool):
        return f"must be true or false, not {value!r}"
    if param.kind == "choice" and value not in param.choices:
        return f"'{value}' is not allowed; use {one_of(param.choices)}"
    if param.kind == "str" and not isinstance(value, str):
        return f"must be a string, not {value!r}"
    return None


def _pydantic_message(err: ErrorDetails) -> str:
    msg = err["msg"]
    loc = err["loc"]
    if err["type"] == "extra_forbidden":
        where = f" in [{'.'.join(map(str, loc[:-1]))}]" if len(loc) > 1 else ""
        return f"unknown key '{loc[-1]}'{where}; remove it or check its spelling."
    if err["type"] == "missing":
        return "this key is required"
    if err["type"] in ("model_type", "dict_type"):
        return f"must be a table like [{'.'.join(map(str, loc))}] with keys, not {err['input']!r}"
    msg = msg.removeprefix("Value error, ")
    if err["type"] == "value_error" or isinstance(err.get("input"), dict):
        return msg
    return f"{msg} (got {err['input']!r})"


def _suggest_key(loc: tuple[Any, ...]) -> str:
    fields = {
        (): Preset.model_fields, ("data",): DataSpec.model_fields,
        ("fit",): FitSpec.model_fields, ("compile",): CompileSpec.model_fields,
        ("model",): ModelSpec.model_fields,
    }.get(tuple(loc[:-1]))
    if not fields or not isinstance(loc[-1], str):
        return ""
    return f" Allowed keys: {', '.join(fields)}." + did_you_mean(loc[-1], fields)


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
        _check_names(raw, file)
        return Preset.model_validate(raw)
    except RecursionError:
        raise PresetError(_TOO_DEEP, file=file) from None
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        message = _pydantic_message(err)
        if err["type"] == "extra_forbidden":
            message += _suggest_key(loc)
        raise PresetError(message, key=_key_path(loc, raw), file=file) from None


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
