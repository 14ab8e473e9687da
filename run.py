"""Entry point: `flask --app run ...` and `gunicorn run:app`."""
from trainer import create_app

app = create_app()
