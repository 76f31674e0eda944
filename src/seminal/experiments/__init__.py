"""The core of the runner: the experiment registry and the runner. Each paper registers its
experiments from its own package (``seminal.<paper>.reproductions``)."""
