"""What a reply cost, in USD: the provider's own figure when it gives one, else an estimate.

Prices are USD per million tokens: (input, output, cache read, cache write), matched by the
longest model-id prefix (case-insensitive), so dated ids (``claude-sonnet-4-5-20250929``)
and variants find their family. Gemini bills cache storage by the hour, not per token
written, so its cache-write price is 0; Gemini 2.5 Pro prices are for prompts up to 200k tokens.
Any id ending in ``:free`` (OpenRouter's free models) costs 0.0.
**Unknown model: not estimated** - the estimate is 0.0, never a guess.

``Usage.input_tokens`` counts every prompt token the model read; ``cache_read_tokens`` and
``cache_write_tokens`` are the parts of it read from or written to the prompt cache, so the
uncached remainder is billed at the input price.
"""

from __future__ import annotations

from .base import Usage

Price = tuple[float, float, float, float]  # input, output, cache read, cache write per 1M tokens

PRICES: dict[str, Price] = {
    # Anthropic, Claude 4.x families
    "claude-haiku-4": (1.00, 5.00, 0.10, 1.25),
    "claude-sonnet-4": (3.00, 15.00, 0.30, 3.75),
    "claude-opus-4": (5.00, 25.00, 0.50, 6.25),  # Opus 4.5 and later
    "claude-opus-4-0": (15.00, 75.00, 1.50, 18.75),
    "claude-opus-4-1": (15.00, 75.00, 1.50, 18.75),
    "claude-opus-4-2025": (15.00, 75.00, 1.50, 18.75),  # claude-opus-4-20250514
    # Google Gemini 2.5
    "gemini-2.5-pro": (1.25, 10.00, 0.125, 0.0),
    "gemini-2.5-flash": (0.30, 2.50, 0.03, 0.0),
    "gemini-2.5-flash-lite": (0.10, 0.40, 0.01, 0.0),
    # the paid OpenRouter models named in the OpenRouter provider documentation
    "anthropic/claude-3.5-sonnet": (3.00, 15.00, 0.30, 3.75),
    "google/gemini-2.0-flash": (0.075, 0.30, 0.025, 0.0),
    "openai/gpt-4o": (2.50, 10.00, 1.25, 0.0),
}


def price_of(model: str) -> Price | None:
    """The price row of ``model`` (longest matching prefix), or None when unknown or free."""
    model = model.strip().lower()
    if model.endswith(":free"):
        return None
    matches = [prefix for prefix in PRICES if model.startswith(prefix)]
    return PRICES[max(matches, key=len)] if matches else None


def estimate_cost(model: str, usage: Usage) -> float:
    """USD for one reply: ``usage.cost_usd`` when the provider reported it, else the estimate
    from the table (0.0 for ``:free`` models and for unknown models: not estimated)."""
    if usage.cost_usd is not None:
        return usage.cost_usd
    price = price_of(model)
    if price is None:
        return 0.0
    uncached = max(0, usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens)
    tokens = (uncached, usage.output_tokens, usage.cache_read_tokens, usage.cache_write_tokens)
    return sum(count * per_million for count, per_million in zip(tokens, price, strict=True)) / 1_000_000
