"""runoff: one-off processes the Heroku way, and the metrics that watch them."""

__version__ = "0.1.0"
