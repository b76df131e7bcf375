"""The log router: time-stamped event streams from every dyno and the platform."""
