"""Installable package: `pip install --no-deps .` gives a working web app (templates, static files and the
default config ship inside it); `pip install -e .` is the development install of `make install`."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
# The top-level folders stay where the product owner put them; in the wheel they sit inside the package.
SHIPPED = {"anime_recommender.templates": ("templates", ["*.html"]),
           "anime_recommender.static": ("static", ["*.css"]),
           "anime_recommender.default_config": ("config", ["config.yaml"])}


def requirements(name: str) -> list[str]:
    """Pinned lines of a requirements file (its -r includes left out)."""
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith(("#", "-r"))]


setup(
    name="anime-recommender",
    version="0.1.0",
    description="Anime recommendations from MyAnimeList ratings: Keras NCF training and a Flask web app",
    package_dir={"": "src", **{package: folder for package, (folder, _) in SHIPPED.items()}},
    packages=find_packages("src") + list(SHIPPED),
    package_data={package: patterns for package, (_, patterns) in SHIPPED.items()},
    python_requires=">=3.11,<3.12",
    install_requires=requirements("requirements-serve.txt"),
    extras_require={"train": requirements("requirements.txt")},
    entry_points={"console_scripts": ["anime-recommender=anime_recommender.cli:main"]},
)
