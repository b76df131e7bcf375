"""Apps and releases: apps, collaborators, config vars, slugs, Procfiles and releases."""
