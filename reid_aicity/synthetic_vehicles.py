"""Procedural vehicles seen by procedural cameras: the images of the synthetic AI City data set.

A vehicle identity is visible in its drawing: body type (silhouette: sedan, hatchback, SUV, pickup,
van, box truck), body colour, two-tone roof, window tint, a side marking (stripe, double stripe,
door logo, diagonal band, checks) with its own colour, and wheel colour. Distinct identities can
share several of these, so recognising one takes more than a colour.

A camera renders a vehicle at an orientation (0 deg = front view, 90 = right side, 180 = rear,
270 = left side) in 2.5-D: the side profile foreshortened by |sin|, the front or rear face
(headlights or tail lights) by |cos|; side markings vanish in front/rear views. Each camera has its
own viewing direction, scale, background (road tone, lane marks, clutter), colour cast (channel
gains, offset, contrast), blur and sensor noise, so a camera changes how an identity looks. Single
frames are further spoiled by occluders (poles, other objects) and brightness flicker, so that the
frames of a track together say more than one frame.
"Simulation" cameras (VehicleX-like) draw clean images on flat backgrounds at any orientation.

All drawing happens at ``SUPERSAMPLE`` times the output size and is then reduced with antialiasing.
Images are ``PIL.Image`` RGB; boxes are ``(x, y, w, h)`` in output pixels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SUPERSAMPLE = 2

#: name -> (length, face width, body height, cabin height, cabin start, cabin end, cabin slant),
#: lengths as fractions of the drawn vehicle length, cabin positions as fractions of the side.
BODY_TYPES = {
    "sedan": (1.00, 0.44, 0.17, 0.14, 0.27, 0.72, 0.35),
    "hatchback": (0.86, 0.44, 0.18, 0.15, 0.22, 0.93, 0.25),
    "suv": (0.96, 0.48, 0.23, 0.18, 0.14, 0.92, 0.12),
    "pickup": (1.06, 0.47, 0.21, 0.17, 0.52, 0.84, 0.2),
    "van": (1.00, 0.50, 0.30, 0.20, 0.05, 0.96, 0.06),
    "truck": (1.14, 0.50, 0.22, 0.19, 0.74, 0.98, 0.1),
}
MARKINGS = ("none", "stripe", "double_stripe", "door_logo", "diagonal", "checks")
BODY_COLOURS = {
    "white": (236, 236, 232), "black": (28, 28, 32), "silver": (168, 172, 178), "grey": (104, 106, 112),
    "red": (190, 30, 36), "maroon": (112, 24, 40), "blue": (36, 74, 180), "navy": (24, 36, 88),
    "green": (34, 128, 60), "yellow": (232, 196, 36), "orange": (226, 118, 30), "brown": (120, 78, 44),
    "teal": (24, 140, 140), "purple": (104, 52, 140),
}
MARKING_COLOURS = {
    "white": (245, 245, 245), "black": (20, 20, 20), "red": (214, 30, 30), "yellow": (250, 210, 30),
    "blue": (40, 90, 230), "green": (40, 180, 70), "orange": (245, 130, 20),
}


@dataclass(frozen=True)
class VehicleIdentity:
    """What makes one vehicle recognisable."""

    body_type: str
    body_colour: tuple[int, int, int]
    roof_colour: tuple[int, int, int]
    window_colour: tuple[int, int, int]
    marking: str
    marking_colour: tuple[int, int, int]
    wheel_colour: tuple[int, int, int]
    length_scale: float


def sample_identities(count: int, rng: np.random.Generator) -> list[VehicleIdentity]:
    """``count`` identities, no two alike in body type, coarse body and roof colour, marking and its colour."""
    identities: list[VehicleIdentity] = []
    seen: set[tuple] = set()
    colour_names, marking_names = list(BODY_COLOURS), list(MARKING_COLOURS)
    while len(identities) < count:
        body = BODY_COLOURS[colour_names[rng.integers(len(colour_names))]]
        jitter = rng.integers(-14, 15, size=3)
        body = tuple(int(np.clip(c + j, 0, 255)) for c, j in zip(body, jitter))
        two_tone = rng.random() < 0.3
        roof = BODY_COLOURS[colour_names[rng.integers(len(colour_names))]] if two_tone else body
        marking = MARKINGS[rng.integers(len(MARKINGS))]
        mark_colour = MARKING_COLOURS[marking_names[rng.integers(len(marking_names))]]
        identity = VehicleIdentity(
            body_type=list(BODY_TYPES)[rng.integers(len(BODY_TYPES))],
            body_colour=body, roof_colour=tuple(roof),
            window_colour=(40, 52, 70) if rng.random() < 0.6 else (96, 120, 140),
            marking=marking, marking_colour=mark_colour if marking != "none" else body,
            wheel_colour=(24, 24, 24) if rng.random() < 0.7 else (150, 150, 155),
            length_scale=float(rng.uniform(0.9, 1.05)))
        key = (identity.body_type, tuple(c // 24 for c in identity.body_colour),
               tuple(c // 24 for c in identity.roof_colour), identity.marking, identity.marking_colour)
        if key not in seen:
            seen.add(key)
            identities.append(identity)
    return identities


@dataclass(frozen=True)
class CameraStyle:
    """How one camera sees vehicles.

    Attributes:
        camera_id: the AI City camera number (``c041`` -> 41).
        view_angle: typical vehicle orientation in its view (degrees); traffic also passes the other
            way (``view_angle + 180``).
        angle_spread: random deviation of the orientation (degrees).
        gain, offset: per-channel colour cast ``x * gain + offset`` (RGB, 0-255 scale).
        contrast: contrast around mid-grey (1: unchanged).
        blur: Gaussian blur radius in output pixels.
        noise: sensor noise standard deviation (0-255 scale).
        road, lane: background road and lane-mark colours.
        scale: vehicle length as a fraction of the image width.
        simulation: VehicleX-like clean rendering on a flat random background.
    """

    camera_id: int
    view_angle: float
    angle_spread: float
    gain: tuple[float, float, float]
    offset: tuple[float, float, float]
    contrast: float
    blur: float
    noise: float
    road: tuple[int, int, int]
    lane: tuple[int, int, int]
    scale: float
    simulation: bool = False


def sample_camera(camera_id: int, rng: np.random.Generator, *, cast: float = 0.18, blur: float = 0.6,
                  simulation: bool = False) -> CameraStyle:
    """A random camera; ``cast`` bounds the channel gains to ``1 +- cast`` (and scales the colour offset and
    the contrast change); ``blur`` is the largest blur radius."""
    road_level = rng.uniform(80, 150)
    road = tuple(int(np.clip(road_level + t, 0, 255)) for t in rng.normal(0, 8, size=3))
    return CameraStyle(
        camera_id=camera_id, view_angle=float(rng.uniform(0, 360)), angle_spread=float(rng.uniform(8, 20)),
        gain=tuple(float(g) for g in rng.uniform(1 - cast, 1 + cast, size=3)),
        offset=tuple(float(o) for o in rng.uniform(-110 * cast, 110 * cast, size=3)),  # +-20 grey levels at 0.18
        contrast=float(rng.uniform(1 - cast, 1 + cast / 2)),
        blur=float(rng.uniform(0.0, blur)), noise=float(rng.uniform(2, 7)), road=road,
        lane=(235, 235, 220) if rng.random() < 0.6 else (230, 190, 40),
        scale=float(rng.uniform(0.66, 0.8)), simulation=simulation)


def draw_vehicle(draw: ImageDraw.ImageDraw, identity: VehicleIdentity, orientation: float,
                 centre: tuple[float, float], length: float) -> tuple[float, float, float, float]:
    """Draw ``identity`` at ``orientation`` (degrees) with its wheels' ground line below ``centre``.

    Returns the vehicle's box ``(x0, y0, x1, y1)`` in the drawing's pixels.
    """
    base_len, face_w, body_h, cabin_h, cab0, cab1, slant = BODY_TYPES[identity.body_type]
    length *= identity.length_scale * base_len
    theta = math.radians(orientation % 360)
    side, face = abs(math.sin(theta)), abs(math.cos(theta))
    side_len = length * max(side, 0.05)
    face_len = length * face_w * face
    total = side_len + face_len
    heading_right = math.sin(theta) >= 0
    front_visible = math.cos(theta) >= 0
    body_px, cabin_px = body_h * length, cabin_h * length
    wheel_r = 0.075 * length
    cx, cy = centre
    ground = cy + (body_px + cabin_px) / 2
    x0 = cx - total / 2
    # The face is at the front end when the front is visible, at the rear end otherwise.
    face_on_right = heading_right == front_visible
    side_x0 = x0 if face_on_right else x0 + face_len
    face_x0 = side_x0 + side_len if face_on_right else x0
    body_top = ground - wheel_r * 0.6 - body_px

    def along(f: float) -> float:
        """x of the fraction ``f`` of the side, measured from the rear."""
        return side_x0 + (f if heading_right else 1 - f) * side_len

    if side > 0.1:
        _draw_side(draw, identity, along, body_top, body_px, cabin_px, cab0, cab1, slant, wheel_r,
                   ground, side_len)
    if face > 0.1:
        _draw_face(draw, identity, face_x0, face_len, body_top, body_px, cabin_px, front_visible, wheel_r, ground)
    top = body_top - cabin_px * (1.5 if identity.body_type == "truck" else 1.15)
    return x0, top, x0 + total, ground


def _draw_side(draw, identity, along, body_top, body_px, cabin_px, cab0, cab1, slant, wheel_r, ground,
               side_len) -> None:
    body = identity.body_colour
    xa, xb = sorted((along(0.0), along(1.0)))
    if identity.body_type == "truck":  # cargo box in the marking colour behind the cab
        box0, box1 = sorted((along(0.0), along(0.7)))
        draw.rectangle([box0, body_top - cabin_px * 1.5, box1, body_top + body_px], fill=identity.marking_colour,
                       outline=_shade(identity.marking_colour, 0.6))
    draw.rectangle([xa, body_top, xb, body_top + body_px], fill=body, outline=_shade(body, 0.55))
    # cabin: a trapezoid whose top is shortened by the slant at both ends
    c0, c1 = cab0, cab1
    inset = slant * (c1 - c0) / 2
    poly = [(along(c0), body_top), (along(c0 + inset), body_top - cabin_px),
            (along(c1 - inset * 0.6), body_top - cabin_px), (along(c1), body_top)]
    draw.polygon(poly, fill=body, outline=_shade(body, 0.55))
    win_pad = 0.18 * cabin_px
    win = [(along(c0 + inset * 0.5 + 0.03), body_top - win_pad * 0.4),
           (along(c0 + inset + 0.03), body_top - cabin_px + win_pad),
           (along(c1 - inset * 0.6 - 0.03), body_top - cabin_px + win_pad),
           (along(c1 - 0.04), body_top - win_pad * 0.4)]
    draw.polygon(win, fill=identity.window_colour)
    roof_y = body_top - cabin_px
    draw.rectangle(sorted_box(along(c0 + inset), roof_y - 0.05 * cabin_px * 3, along(c1 - inset * 0.6),
                              roof_y + 0.22 * cabin_px), fill=identity.roof_colour)
    if identity.body_type == "pickup":  # open bed: a darker inside line
        b0, b1 = sorted((along(0.02), along(c0 - 0.02)))
        draw.rectangle([b0, body_top, b1, body_top + body_px * 0.18], fill=_shade(body, 0.5))
    _draw_marking(draw, identity, along, body_top, body_px, side_len)
    for f in (0.18, 0.8) if identity.body_type != "truck" else (0.12, 0.4, 0.86):
        x = along(f)
        draw.ellipse([x - wheel_r, ground - 2 * wheel_r, x + wheel_r, ground], fill=identity.wheel_colour,
                     outline=(10, 10, 10))
        draw.ellipse([x - wheel_r * 0.4, ground - wheel_r * 1.4, x + wheel_r * 0.4, ground - wheel_r * 0.6],
                     fill=(90, 90, 95))
    # lights at both ends of the side
    draw.rectangle(sorted_box(along(0.0), body_top + body_px * 0.15, along(0.025), body_top + body_px * 0.4),
                   fill=(200, 20, 20))
    draw.rectangle(sorted_box(along(0.975), body_top + body_px * 0.15, along(1.0), body_top + body_px * 0.4),
                   fill=(250, 240, 190))


def _draw_marking(draw, identity, along, body_top, body_px, side_len) -> None:
    colour, kind = identity.marking_colour, identity.marking
    if kind == "stripe":
        draw.rectangle(sorted_box(along(0.03), body_top + body_px * 0.38, along(0.97), body_top + body_px * 0.62),
                       fill=colour)
    elif kind == "double_stripe":
        for top in (0.25, 0.6):
            draw.rectangle(sorted_box(along(0.03), body_top + body_px * top, along(0.97),
                                      body_top + body_px * (top + 0.13)), fill=colour)
    elif kind == "door_logo":
        x, r = along(0.5), body_px * 0.34
        draw.ellipse([x - r, body_top + body_px * 0.5 - r, x + r, body_top + body_px * 0.5 + r], fill=colour)
    elif kind == "diagonal":
        draw.polygon([(along(0.3), body_top + body_px), (along(0.45), body_top), (along(0.6), body_top),
                      (along(0.45), body_top + body_px)], fill=colour)
    elif kind == "checks":
        n = 6
        for i in range(n):
            f0 = 0.08 + i * 0.84 / n
            top = body_top + body_px * (0.3 if i % 2 else 0.55)
            draw.rectangle(sorted_box(along(f0), top, along(f0 + 0.84 / n * 0.9), top + body_px * 0.22),
                           fill=colour)


def _draw_face(draw, identity, x0, width, body_top, body_px, cabin_px, front, wheel_r, ground) -> None:
    body = identity.body_colour
    x1 = x0 + width
    if identity.body_type == "truck" and not front:
        draw.rectangle([x0, body_top - cabin_px * 1.5, x1, body_top + body_px], fill=identity.marking_colour,
                       outline=_shade(identity.marking_colour, 0.6))
    draw.rectangle([x0, body_top, x1, body_top + body_px], fill=body, outline=_shade(body, 0.55))
    inset = width * 0.12
    draw.polygon([(x0, body_top), (x0 + inset, body_top - cabin_px), (x1 - inset, body_top - cabin_px),
                  (x1, body_top)], fill=body, outline=_shade(body, 0.55))
    draw.polygon([(x0 + inset * 0.8, body_top - cabin_px * 0.1), (x0 + inset * 1.3, body_top - cabin_px * 0.8),
                  (x1 - inset * 1.3, body_top - cabin_px * 0.8), (x1 - inset * 0.8, body_top - cabin_px * 0.1)],
                 fill=identity.window_colour)
    draw.rectangle([x0 + inset, body_top - cabin_px - 0.05 * cabin_px * 3, x1 - inset,
                    body_top - cabin_px + 0.2 * cabin_px], fill=identity.roof_colour)
    light = (250, 240, 190) if front else (210, 20, 20)
    lw, lh = width * 0.2, body_px * 0.22
    for lx in (x0 + width * 0.06, x1 - width * 0.06 - lw):
        draw.rectangle([lx, body_top + body_px * 0.2, lx + lw, body_top + body_px * 0.2 + lh], fill=light)
    if front:
        draw.rectangle([x0 + width * 0.32, body_top + body_px * 0.25, x1 - width * 0.32, body_top + body_px * 0.55],
                       fill=_shade(body, 0.4))
    else:
        draw.rectangle([x0 + width * 0.35, body_top + body_px * 0.55, x1 - width * 0.35, body_top + body_px * 0.75],
                       fill=(230, 230, 210))
    for wx in (x0 + width * 0.08, x1 - width * 0.08 - wheel_r * 0.7):
        draw.rectangle([wx, ground - wheel_r * 1.4, wx + wheel_r * 0.7, ground], fill=identity.wheel_colour)


def sorted_box(xa: float, ya: float, xb: float, yb: float) -> list[float]:
    """``[min x, min y, max x, max y]`` (PIL needs ordered corners)."""
    return [min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb)]


def _shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return tuple(int(c * factor) for c in colour)


def render(identity: VehicleIdentity, camera: CameraStyle, orientation: float, rng: np.random.Generator,
           size: int = 64, shift: tuple[float, float] = (0.0, 0.0), zoom: float = 1.0, occlusion: float = 0.0,
           flicker: float = 0.0) -> tuple[Image.Image, tuple[float, float, float, float]]:
    """One image of ``identity`` seen by ``camera`` at ``orientation`` degrees.

    Args:
        shift: vehicle centre offset as fractions of the image size (a track moves it frame by frame).
        zoom: vehicle size factor (a vehicle approaching the camera grows).
        occlusion: probability that a pole or another object hides part of the vehicle in this frame.
        flicker: the frame's brightness varies by up to this fraction (changing light, exposure).

    Returns:
        The RGB image (``size`` x ``size``) and the vehicle box ``(x, y, w, h)`` in its pixels.
    """
    big = size * SUPERSAMPLE
    if camera.simulation:
        background = tuple(int(v) for v in rng.integers(60, 200, size=3))
        canvas = Image.new("RGB", (big, big), background)
    else:
        canvas = Image.new("RGB", (big, big), camera.road)
        _draw_background(ImageDraw.Draw(canvas), camera, rng, big)
    draw = ImageDraw.Draw(canvas)
    centre = (big * (0.5 + shift[0]), big * (0.5 + shift[1]))
    x0, y0, x1, y1 = draw_vehicle(draw, identity, orientation, centre, big * camera.scale * zoom)
    if rng.random() < occlusion:
        _draw_occluder(draw, (x0, y0, x1, y1), rng, big)
    image = canvas
    if not camera.simulation:
        image = _apply_camera(canvas, camera, rng, brightness=1.0 + rng.uniform(-flicker, flicker))
    image = image.resize((size, size), Image.Resampling.LANCZOS)
    s = 1.0 / SUPERSAMPLE
    x0, y0 = max(0.0, x0 * s), max(0.0, y0 * s)
    x1, y1 = min(float(size), x1 * s), min(float(size), y1 * s)
    return image, (x0, y0, x1 - x0, y1 - y0)


def _draw_background(draw: ImageDraw.ImageDraw, camera: CameraStyle, rng: np.random.Generator, big: int) -> None:
    """Road texture, lane marks and clutter at the image borders."""
    for _ in range(int(rng.integers(1, 3))):
        y = rng.uniform(0.1, 0.95) * big
        tilt = rng.uniform(-0.15, 0.15) * big
        width = max(2, int(big * 0.025))
        for x in range(0, big, int(big * 0.18)):
            draw.line([(x, y + tilt * x / big), (x + big * 0.1, y + tilt * (x + big * 0.1) / big)],
                      fill=camera.lane, width=width)
    for _ in range(int(rng.integers(1, 4))):
        colour = tuple(int(v) for v in rng.integers(30, 220, size=3))
        edge = rng.integers(4)
        a, b = sorted(rng.uniform(0, 1, size=2) * big)
        depth = rng.uniform(0.05, 0.16) * big
        box = {0: [a, 0, b, depth], 1: [a, big - depth, b, big], 2: [0, a, depth, b], 3: [big - depth, a, big, b]}[edge]
        draw.rectangle(box, fill=colour)


def _draw_occluder(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], rng: np.random.Generator,
                   big: int) -> None:
    """A pole across the image or an object covering one end of the vehicle ``box`` (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    width = x1 - x0
    colour = tuple(int(v) for v in rng.integers(20, 235, size=3))
    if rng.random() < 0.5:
        x = rng.uniform(x0 + 0.15 * width, x1 - 0.15 * width)
        half = rng.uniform(0.05, 0.09) * width
        draw.rectangle([x - half, 0, x + half, big], fill=colour)
    else:
        cover = rng.uniform(0.2, 0.4) * width
        left = x0 - 0.1 * width if rng.random() < 0.5 else x1 - cover
        top = rng.uniform(y0, y0 + 0.5 * (y1 - y0))
        draw.rectangle([left, top, left + cover + 0.1 * width, big], fill=colour)


def _apply_camera(image: Image.Image, camera: CameraStyle, rng: np.random.Generator,
                  brightness: float = 1.0) -> Image.Image:
    """Colour cast, contrast, blur and noise of the camera, and the frame's ``brightness`` factor."""
    if camera.blur > 0:
        image = image.filter(ImageFilter.GaussianBlur(camera.blur * SUPERSAMPLE))
    x = np.asarray(image, dtype=np.float32) * brightness
    x = (x - 128.0) * camera.contrast + 128.0
    x = x * np.asarray(camera.gain, dtype=np.float32) + np.asarray(camera.offset, dtype=np.float32)
    x += rng.normal(0.0, camera.noise, size=x.shape).astype(np.float32)
    return Image.fromarray(np.clip(x, 0, 255).astype(np.uint8))
