"""Model price table: estimates a call's cost from its tokens when a log records none.

Prices are USD per 1,000 tokens, prompt and completion apart. Defaults cover the models
ChatDev names (``ModelType.GPT_3_5_TURBO`` ...), at the list prices of the time the
runs were made. Users extend or override them with ``.autoforge/prices.yaml`` (read
when present) and ``--prices FILE``; the later source wins per model::

    # USD per 1K tokens
    GPT_4: {prompt: 0.03, completion: 0.06}
    claude-3-5-sonnet: {prompt: 0.003, completion: 0.015}

A top-level ``prices:`` key around the mapping is accepted too. Model names are matched
without a ``ModelType.`` prefix and case-insensitively.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from autoforge_learn.errors import AutoforgeError
from autoforge_learn.store.yamlfile import read_yaml

PRICES_FILENAME = "prices.yaml"


@dataclass(frozen=True)
class Price:
    """USD per 1,000 prompt and completion tokens."""

    prompt: float
    completion: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.prompt + completion_tokens * self.completion) / 1000


#: ChatDev's ModelType names (and the OpenAI names behind them), USD per 1K tokens.
#: GPT_3_5_TURBO is the 4K-context gpt-3.5-turbo; GPT_3_5_TURBO_16K the 16K one.
DEFAULT_PRICES: dict[str, Price] = {
    "GPT_3_5_TURBO": Price(0.0015, 0.002),
    "GPT_3_5_TURBO_16K": Price(0.003, 0.004),
    "GPT_3_5_TURBO_NEW": Price(0.001, 0.002),
    "GPT_4": Price(0.03, 0.06),
    "GPT_4_32K": Price(0.06, 0.12),
    "GPT_4_TURBO": Price(0.01, 0.03),
    "GPT_4_TURBO_V": Price(0.01, 0.03),
    "GPT_4O": Price(0.005, 0.015),
    "GPT_4O_MINI": Price(0.00015, 0.0006),
    "GPT-3.5-TURBO": Price(0.0015, 0.002),
    "GPT-3.5-TURBO-16K": Price(0.003, 0.004),
    "GPT-4": Price(0.03, 0.06),
    "GPT-4-32K": Price(0.06, 0.12),
}


class PriceFileError(AutoforgeError, ValueError):
    """A price file is not a mapping of model names to prompt/completion prices."""


def model_key(name: str) -> str:
    """The table key of a model name: no ``ModelType.`` prefix, upper case."""
    return name.strip().removeprefix("ModelType.").upper()


def _parse(data: Any, source: Path) -> dict[str, Price]:
    if isinstance(data, dict) and isinstance(data.get("prices"), dict):
        data = data["prices"]
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PriceFileError(f"{source}: expected a mapping of model names to prices")
    table: dict[str, Price] = {}
    for name, entry in data.items():
        if not isinstance(entry, dict):
            raise PriceFileError(f"{source}: {name}: expected {{prompt: X, completion: Y}}")
        try:
            prompt, completion = float(entry["prompt"]), float(entry["completion"])
        except (KeyError, TypeError, ValueError):
            raise PriceFileError(
                f"{source}: {name}: needs numeric 'prompt' and 'completion' (USD per 1K tokens)"
            ) from None
        if prompt < 0 or completion < 0:
            raise PriceFileError(f"{source}: {name}: prices must not be negative")
        table[model_key(str(name))] = Price(prompt, completion)
    return table


def load_price_file(path: Path) -> dict[str, Price]:
    """Read one price file.

    Raises:
        PriceFileError: If it cannot be read, or is not valid YAML of the documented shape.
    """
    try:
        data = read_yaml(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise PriceFileError(f"{path}: cannot be read: {exc}") from None
    except yaml.YAMLError as exc:
        raise PriceFileError(f"{path}: not valid YAML: {exc}") from None
    return _parse(data, path)


class PriceTable:
    """Model prices: the defaults, then the store's ``prices.yaml``, then extra files."""

    def __init__(self, prices: dict[str, Price] | None = None) -> None:
        self.prices: dict[str, Price] = {model_key(k): v for k, v in DEFAULT_PRICES.items()}
        if prices:
            self.prices.update({model_key(k): v for k, v in prices.items()})

    @classmethod
    def load(cls, root: Path | None = None, *extra: Path) -> PriceTable:
        """The defaults, overridden by ``<root>/prices.yaml`` and then by each extra file."""
        table = cls()
        files = [root / PRICES_FILENAME] if root is not None else []
        for path in [*(f for f in files if f.is_file()), *extra]:
            table.prices.update(load_price_file(path))
        return table

    def get(self, model: str | None) -> Price | None:
        return None if model is None else self.prices.get(model_key(model))

    def estimate(
        self, model: str | None, prompt_tokens: int | None, completion_tokens: int | None
    ) -> float | None:
        """USD for the tokens, or None when the model has no price or no tokens are known."""
        price = self.get(model)
        if price is None or (prompt_tokens is None and completion_tokens is None):
            return None
        return price.cost(prompt_tokens or 0, completion_tokens or 0)
