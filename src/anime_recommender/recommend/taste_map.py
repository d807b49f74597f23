"""Where a viewer's list and their recommendations sit among the anime: the run's 2-D map (`taste_map.npy`,
made at training by model/taste_map.py) placed in a drawing box the pages draw as an SVG (no JavaScript).

The map is optional: a run published before it existed has none, and the pages then show no picture.
"""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from anime_recommender.artifacts import ArtifactIntegrityError, RunArtifacts

FILE = "taste_map"
WIDTH, HEIGHT, PAD = 640, 400, 14   # the drawing box (SVG viewBox units) and its margin
BACKGROUND = 2500                   # the most popular anime drawn as grey dots
MAX_MINE = 300                      # the viewer's titles marked, most popular first (a list can hold thousands)
LANDMARKS = 4                       # the most popular anime labelled, so the map has known places on it
LABELLED_RECS = 3                   # the first recommendations labelled by title


@dataclass(frozen=True)
class MapPoint:
    """One anime placed in the drawing box."""

    x: float
    y: float
    anime_id: int
    title: str


@dataclass(frozen=True)
class TastePicture:
    """What a page draws: the grey catalogue (one SVG path), the viewer's titles, the recommendations, labels."""

    width: int
    height: int
    background: str                # SVG path data: a round dot per popular anime
    n_background: int
    mine: list[MapPoint]
    recommended: list[MapPoint]
    landmarks: list[MapPoint]
    labelled: list[MapPoint]       # the recommendations shown with their title
    mine_on_map: int               # the viewer's titles the map has (more than `mine` when capped)

    def to_dict(self) -> dict:
        """The API's twin of the picture: the points in the drawing box (y grows downwards, as in the SVG)."""
        def points(found: list[MapPoint]) -> list[dict]:
            return [dataclasses.asdict(p) for p in found]
        return {"width": self.width, "height": self.height, "mine": points(self.mine),
                "recommended": points(self.recommended), "landmarks": points(self.landmarks),
                "mine_on_map": self.mine_on_map}


@dataclass(frozen=True)
class TasteMap:
    """Every model anime's place in the drawing box (by model row) and the rows most popular first."""

    xy: np.ndarray      # float32 (n_anime, 2)
    order: np.ndarray   # int64 model rows, most popular first

    @classmethod
    def build(cls, coords: np.ndarray, popularity: np.ndarray) -> TasteMap:
        """Scaled into the box by the anime's 0.5-99.5th percentiles (the few beyond sit on the edge);
        y grows upwards as on any chart."""
        order = np.argsort(-np.asarray(popularity), kind="stable").astype(np.int64)
        coords = np.asarray(coords, np.float64)
        lo, hi = np.percentile(coords, [0.5, 99.5], axis=0) if len(coords) else (0.0, 1.0)
        unit = np.clip((coords - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0, 1.0)
        x = PAD + unit[:, 0] * (WIDTH - 2 * PAD)
        y = HEIGHT - PAD - unit[:, 1] * (HEIGHT - 2 * PAD)
        return cls(np.stack([x, y], axis=1).astype(np.float32), order)

    @functools.cached_property
    def background(self) -> str:
        """The grey dots as one path (a zero-length line with round caps per anime): the same for every viewer."""
        return "".join(f"M{x:.1f} {y:.1f}h0" for x, y in self.xy[self.order[:BACKGROUND]])

    @functools.cached_property
    def rank(self) -> np.ndarray:
        """Each model row's place in `order` (0 = the most popular)."""
        rank = np.empty(len(self.order), np.int64)
        rank[self.order] = np.arange(len(self.order))
        return rank

    def picture(self, mine: np.ndarray, recommended: np.ndarray, *, title: Callable[[int], str],
                anime_id: Callable[[int], int]) -> TastePicture:
        """The picture of one page: `mine` and `recommended` are model rows; `title` / `anime_id` name a row."""
        mine = np.unique(np.asarray(mine, np.int64))
        mine = mine[np.argsort(self.rank[mine], kind="stable")]

        def points(rows) -> list[MapPoint]:
            return [MapPoint(round(float(self.xy[r, 0]), 1), round(float(self.xy[r, 1]), 1), anime_id(int(r)),
                             title(int(r))) for r in rows]
        shown_recs = points(np.asarray(recommended, np.int64))
        return TastePicture(WIDTH, HEIGHT, self.background, min(BACKGROUND, len(self.order)),
                            points(mine[:MAX_MINE]), shown_recs, points(self.order[:LANDMARKS]),
                            shown_recs[:LABELLED_RECS], len(mine))


def load_taste_map(run: RunArtifacts, popularity: np.ndarray) -> TasteMap | None:
    """The run's map, or None for a run published before maps were made (its pages show no picture)."""
    if not run.has(f"{FILE}.npy"):
        return None
    coords = run.array(FILE)
    if coords.shape != (len(popularity), 2):
        raise ArtifactIntegrityError(f"inconsistent run: {FILE}.npy has shape {coords.shape}, expected "
                                     f"({len(popularity)}, 2)")
    return TasteMap.build(coords, popularity)
