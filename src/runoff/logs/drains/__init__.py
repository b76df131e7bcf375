"""Log drains: forward an app's log stream to the user's log service.

``model`` (drain URLs and records), ``store`` (persistence), ``syslog`` (RFC 5424 messages and
RFC 6587 octet-counted frames), ``transports`` (syslog over TCP/TLS, HTTPS POSTs in Logplex's
shape), ``buffer`` (the bounded per-drain buffer and its L10 report), ``manager`` (one sender
per drain, fed by the router).
"""
