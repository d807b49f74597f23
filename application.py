"""WSGI entry point: `gunicorn -c gunicorn.conf.py application:app`."""
from anime_recommender.web import create_app

app = create_app()
