"""trainer: a Flask LMS for rights-based training of border guards (see README.md)."""


def create_app(config_name=None, overrides=None):
    """Build the app; imported lazily so `trainer.content` and friends stay usable without Flask."""
    from .app import create_app as _create_app

    return _create_app(config_name, overrides)
