"""What every notification channel shares: the error a failed delivery raises."""

from __future__ import annotations


class DeliveryError(Exception):
    """A delivery attempt failed; the message says why (stored, shown in the API, retried)."""
