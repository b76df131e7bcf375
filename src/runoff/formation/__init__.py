"""The formation: how many dynos of each Procfile process type an app keeps running."""
