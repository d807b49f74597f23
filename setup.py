"""Installable package: `pip install -e .` puts anime_recommender on the path and the CLI on PATH."""
from pathlib import Path

from setuptools import find_packages, setup

requirements = [
    line.strip()
    for line in Path(__file__).with_name("requirements.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]

setup(
    name="anime-recommender",
    version="0.1.0",
    description="Anime recommendations from MyAnimeList ratings: Keras NCF training and a Flask web app",
    package_dir={"": "src"},
    packages=find_packages("src"),
    python_requires=">=3.11,<3.12",
    install_requires=requirements,
    entry_points={"console_scripts": ["anime-recommender=anime_recommender.cli:main"]},
)
