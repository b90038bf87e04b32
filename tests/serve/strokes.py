"""Pen strokes that write real handwritten digits: the skeletons of MNIST digits, as polylines.

A digit of the embedded mnist5k set is thinned to a one-pixel-wide skeleton (Zhang and Suen,
1984), and the skeleton is walked edge by edge into polylines, each one a stroke a hand could
draw with the pen down. Scaled up, they are drawn on the page's pad with the mouse.
"""

from __future__ import annotations

import numpy as np

NEIGHBOURS = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))  # P2..P9


def thin(ink: np.ndarray) -> np.ndarray:
    """The Zhang-Suen skeleton of a boolean image (a one-pixel border of False is assumed)."""
    image = np.pad(ink.astype(bool), 1)
    changed = True
    while changed:
        changed = False
        for step in (0, 1):
            p = [np.roll(image, (-di, -dj), axis=(0, 1)) for di, dj in NEIGHBOURS]
            count = sum(q.astype(int) for q in p)
            transitions = sum((~p[k] & p[(k + 1) % 8]).astype(int) for k in range(8))
            if step == 0:
                keep = (p[0] & p[2] & p[4]) | (p[2] & p[4] & p[6])
            else:
                keep = (p[0] & p[2] & p[6]) | (p[0] & p[4] & p[6])
            remove = image & (count >= 2) & (count <= 6) & (transitions == 1) & ~keep
            if remove.any():
                image &= ~remove
                changed = True
    return image[1:-1, 1:-1]


def neighbours(skeleton: np.ndarray, point: tuple[int, int]) -> list[tuple[int, int]]:
    i, j = point
    height, width = skeleton.shape
    return [
        (i + di, j + dj)
        for di, dj in NEIGHBOURS
        if 0 <= i + di < height and 0 <= j + dj < width and skeleton[i + di, j + dj]
    ]


def trace(skeleton: np.ndarray) -> list[list[tuple[int, int]]]:
    """Polylines covering every edge of the skeleton's 8-neighbour graph once, each started at
    an end point where there is one (strokes start at a pen-down, not mid-line)."""
    points = [tuple(p) for p in np.argwhere(skeleton)]
    unused = {frozenset((p, q)) for p in points for q in neighbours(skeleton, p)}
    strokes = []

    def free(p):
        return [q for q in neighbours(skeleton, p) if frozenset((p, q)) in unused]

    while unused:
        starts = [p for p in points if free(p)]
        start = min(starts, key=lambda p: (len(free(p)) != 1, p))  # an end point first
        stroke, here = [start], start
        while free(here):
            # go straight on where possible, so that strokes follow the pen's path
            choices = free(here)
            if len(stroke) > 1:
                di, dj = here[0] - stroke[-2][0], here[1] - stroke[-2][1]
                choices.sort(key=lambda q: -(di * (q[0] - here[0]) + dj * (q[1] - here[1])))
            nxt = choices[0]
            unused.discard(frozenset((here, nxt)))
            stroke.append(nxt)
            here = nxt
        strokes.append(stroke)
    if not strokes and points:
        strokes.append([points[0]])
    return strokes


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """The polyline with the points that lie within ``tolerance`` of the line through their
    neighbours left out (Ramer-Douglas-Peucker): the pen moves in straight runs."""
    if len(points) < 3:
        return points
    start, end = np.array(points[0]), np.array(points[-1])
    direction = end - start
    length = np.hypot(*direction)
    offsets = np.array(points[1:-1]) - start
    if length == 0:
        distances = np.hypot(offsets[:, 0], offsets[:, 1])
    else:
        distances = np.abs(direction[0] * offsets[:, 1] - direction[1] * offsets[:, 0]) / length
    farthest = int(distances.argmax()) + 1
    if distances[farthest - 1] <= tolerance:
        return [points[0], points[-1]]
    return simplify(points[: farthest + 1], tolerance)[:-1] + simplify(points[farthest:], tolerance)


def digit_strokes(
    image: np.ndarray, threshold: int = 96, tolerance: float = 0.5
) -> list[list[tuple[float, float]]]:
    """The strokes of a 28x28 ``uint8`` MNIST digit as ``(x, y)`` in pixels of that image."""
    return [
        simplify([(j + 0.5, i + 0.5) for i, j in stroke], tolerance)
        for stroke in trace(thin(image > threshold))
    ]
