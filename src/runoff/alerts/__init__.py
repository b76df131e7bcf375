"""Alerts: what a monitor's state change says (``describe``, ``guidance``, ``redact``,
``message``), who is told (``recipients``), the channels (``email``, ``webhook``), deliveries
claimed once and retried (``store``, ``sender``) and the API operations (``service``).
"""
