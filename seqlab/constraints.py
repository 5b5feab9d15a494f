"""Value constraints for constructor arguments, read by the config check (``Annotated[int, POSITIVE]``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    """A number between ``low`` and ``high`` (either may be open), described as ``text``: an adjective
    (``positive``) or a phrase that follows the noun (``in [0, 1)``)."""

    text: str
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True

    def holds(self, value: float) -> bool:
        """Whether ``value`` lies in the range."""
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
            return False
        return not (self.high is not None and (value > self.high or (value == self.high and not self.high_inclusive)))

    @property
    def adjective(self) -> bool:
        """Whether :attr:`text` goes before the noun."""
        return " " not in self.text


POSITIVE = Range("positive", low=0, low_inclusive=False)
NON_NEGATIVE = Range("non-negative", low=0)
PROBABILITY = Range("in [0, 1)", low=0, high=1, high_inclusive=False)
