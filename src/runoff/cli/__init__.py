"""runoff's command-line client: a thin, stdlib-only layer over the Platform API.

Nothing here may import the server (sqlalchemy, starlette, ``runoff.web`` ...) at import time:
``runoff run:detached`` start-up time is benchmarked against ``honcho run``.
"""
