"""Users, bearer tokens (OAuth authorizations) and what a token may do."""
