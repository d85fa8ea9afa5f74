"""Procedural people seen by procedural cameras: the images of the synthetic person ReID data sets.

A person's identity is visible in the drawing: skin and hair (short or long), top colour and
pattern (plain, horizontal stripes, vertical band, chest logo, two-tone) with an accent colour,
long or short sleeves, bottom colour and type (trousers, shorts, skirt), shoes, body height and
build, and accessories (backpack, shoulder bag, cap) with their colours. Several identities share
single attributes, so recognising one takes more than one colour.

Each image varies the pose (``Pose``): a small shift and zoom, the view (front, back, left or right
side: a backpack shows fully from the back and as straps from the front, a chest logo only from the
front), leg stride and arm swing. A camera (``CameraStyle``) adds its viewpoint preference, its
background and its look; an occluder sometimes hides part of the person.

Two domains, as in VisDA-2020 (PersonX -> real images):

* **source** (game-like, PersonX): saturated garment colours (``SOURCE_PALETTE``), flat shading,
  plain or gradient backgrounds whose colours vary from image to image, mild brightness changes, no
  noise or blur; its 6 cameras differ mildly (view, background colours) and have no colour cast;
* **target** (real-like): muted, darker garments (``TARGET_PALETTE``), textured and cluttered
  backgrounds, per-image lighting, blur and sensor noise, more occlusion; its 6 cameras
  (``TARGET_CAMERA_LOOKS``) have distinct global looks (colour gain/offset, contrast, saturation,
  blur, noise) and backgrounds, the kind of style an image-to-image GAN (CamStyle, SPGAN) learns.

Drawing happens at ``SUPERSAMPLE`` times the output size, which is then reduced with antialiasing
(Lanczos); the camera's look is applied at the output size. Sizes are ``(height, width)``; images
are RGB ``PIL.Image`` s. Everything random comes from the ``numpy.random.Generator`` passed in.
"""
from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SUPERSAMPLE = 4
#: Output height at which the blur radii of ``CameraStyle`` are given; other sizes scale them.
REFERENCE_HEIGHT = 64
VIEWS = ("front", "back", "left", "right")
TOP_PATTERNS = ("plain", "stripes", "vertical_band", "logo", "two_tone")
BOTTOM_TYPES = ("trousers", "shorts", "skirt")

Colour = tuple[int, int, int]

SKIN_TONES: tuple[Colour, ...] = ((244, 208, 177), (230, 184, 146), (198, 145, 105), (160, 110, 75),
                                   (118, 80, 55), (88, 60, 42))
HAIR_COLOURS: tuple[Colour, ...] = ((22, 18, 16), (60, 40, 28), (105, 70, 40), (205, 170, 105),
                                     (150, 150, 150), (140, 60, 30))
#: Neutral garment colours of the real-like domain: black, greys, white, navy, beige, brown, olive.
NEUTRALS: tuple[Colour, ...] = ((24, 24, 28), (62, 62, 66), (120, 120, 122), (222, 222, 216), (30, 38, 72),
                                (196, 180, 146), (92, 64, 44), (86, 92, 58))


@dataclass(frozen=True)
class Palette:
    """How a domain dresses people: garment colours drawn in HSV, or a neutral colour.

    Attributes:
        saturation, value: ranges of the HSV saturation and value of a coloured garment.
        neutral: probability that a garment takes one of ``neutrals`` instead.
        neutrals: the neutral colours.
    """

    saturation: tuple[float, float]
    value: tuple[float, float]
    neutral: float
    neutrals: tuple[Colour, ...]

    def colour(self, rng: np.random.Generator) -> Colour:
        """One random garment colour (RGB)."""
        if rng.random() < self.neutral:
            base = self.neutrals[rng.integers(len(self.neutrals))]
            return tuple(int(np.clip(c + j, 0, 255)) for c, j in zip(base, rng.integers(-10, 11, size=3)))
        r, g, b = colorsys.hsv_to_rgb(rng.random(), rng.uniform(*self.saturation), rng.uniform(*self.value))
        return int(r * 255), int(g * 255), int(b * 255)


SOURCE_PALETTE = Palette(saturation=(0.5, 1.0), value=(0.5, 1.0), neutral=0.2,
                         neutrals=((20, 20, 24), (236, 236, 236), (128, 128, 132)))
TARGET_PALETTE = Palette(saturation=(0.15, 0.65), value=(0.2, 0.75), neutral=0.4, neutrals=NEUTRALS)


@dataclass(frozen=True)
class PersonIdentity:
    """What makes one person recognisable (colours RGB; ``None``: no such accessory). ``height`` is a
    fraction of the tallest person's height, ``build`` a width factor."""

    skin: Colour
    hair: Colour
    long_hair: bool
    top: Colour
    accent: Colour
    top_pattern: str
    long_sleeves: bool
    bottom: Colour
    bottom_type: str
    shoes: Colour
    height: float
    build: float
    backpack: Colour | None
    bag: Colour | None
    hat: Colour | None


def _distance(a: Colour, b: Colour) -> float:
    return float(np.linalg.norm(np.subtract(a, b, dtype=float)))


def _contrasting(colour: Colour, palette: Palette, rng: np.random.Generator, min_distance: float = 90.0) -> Colour:
    """A palette colour at least ``min_distance`` (RGB) away from ``colour`` (black or white as a fallback)."""
    for _ in range(8):
        other = palette.colour(rng)
        if _distance(other, colour) >= min_distance:
            return other
    return (236, 236, 232) if sum(colour) < 380 else (24, 24, 28)


def _identity_key(p: PersonIdentity) -> tuple:
    """Coarse description: two identities with the same key would be hard to tell apart."""
    coarse = tuple(c // 48 for c in p.top) + tuple(c // 48 for c in p.bottom)
    return coarse, p.top_pattern, p.bottom_type, p.backpack is None, p.bag is None, p.hat is None


def sample_identities(count: int, palette: Palette, rng: np.random.Generator,
                      exclude: set | None = None) -> list[PersonIdentity]:
    """``count`` identities dressed from ``palette``, no two (nor any in ``exclude``, a set of keys
    that this call extends) alike in their coarse colours, top pattern, bottom type and accessories."""
    seen = exclude if exclude is not None else set()
    identities: list[PersonIdentity] = []
    while len(identities) < count:
        top = palette.colour(rng)
        pattern = TOP_PATTERNS[rng.choice(len(TOP_PATTERNS), p=(0.3, 0.2, 0.15, 0.2, 0.15))]
        person = PersonIdentity(
            skin=SKIN_TONES[rng.integers(len(SKIN_TONES))], hair=HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))],
            long_hair=bool(rng.random() < 0.35), top=top, accent=_contrasting(top, palette, rng),
            top_pattern=pattern, long_sleeves=bool(rng.random() < 0.5), bottom=palette.colour(rng),
            bottom_type=BOTTOM_TYPES[rng.choice(3, p=(0.6, 0.22, 0.18))],
            shoes=palette.colour(rng) if rng.random() < 0.5 else NEUTRALS[rng.integers(4)],
            height=float(rng.uniform(0.88, 1.0)), build=float(rng.uniform(0.85, 1.18)),
            backpack=palette.colour(rng) if rng.random() < 0.3 else None,
            bag=palette.colour(rng) if rng.random() < 0.2 else None,
            hat=palette.colour(rng) if rng.random() < 0.15 else None)
        key = _identity_key(person)
        if key not in seen:
            seen.add(key)
            identities.append(person)
    return identities


@dataclass(frozen=True)
class CameraStyle:
    """How one camera sees people.

    Attributes:
        camera_id: 0-based camera index within its domain.
        view_probs: probabilities of the front, back, left and right views.
        scale: person height as a fraction of the image height.
        background: ``"flat"``, ``"gradient"`` (source) or ``"bricks"``, ``"tiles"``, ``"foliage"``,
            ``"street"``, ``"awning"`` (target).
        bg_colours: the background's two colours (e.g. wall and floor).
        bg_jitter: per-image variation of the background colours (per channel, 0-255 scale).
        clutter: mean number of clutter objects in the background.
        occlusion: probability that an occluder hides part of the person.
        gain, offset: per-channel colour cast ``x * gain + offset`` (RGB, 0-255 scale).
        contrast: contrast around mid-grey (1: unchanged).
        saturation: colour saturation factor (1: unchanged).
        blur: Gaussian blur radius in pixels at ``REFERENCE_HEIGHT``.
        noise: sensor noise standard deviation (0-255 scale).
        lighting: per-image brightness and shading variation (fraction).
    """

    camera_id: int
    view_probs: tuple[float, float, float, float]
    scale: float
    background: str
    bg_colours: tuple[Colour, Colour]
    bg_jitter: int = 8
    clutter: float = 0.0
    occlusion: float = 0.0
    gain: tuple[float, float, float] = (1.0, 1.0, 1.0)
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    contrast: float = 1.0
    saturation: float = 1.0
    blur: float = 0.0
    noise: float = 0.0
    lighting: float = 0.0

    def __post_init__(self) -> None:
        if self.background not in BACKGROUNDS:
            raise ValueError(f"camera {self.camera_id}: unknown background '{self.background}'; choose one of "
                             f"{', '.join(BACKGROUNDS)}")


#: Background colour pairs (upper, floor) of the 6 source cameras: mild, pastel differences.
SOURCE_BACKGROUNDS: tuple[tuple[Colour, Colour], ...] = (
    ((190, 210, 232), (150, 150, 144)), ((214, 214, 206), (128, 136, 128)), ((200, 226, 204), (146, 140, 124)),
    ((232, 216, 196), (140, 140, 150)), ((206, 200, 226), (132, 128, 120)), ((226, 226, 226), (156, 150, 140)))

#: The six target cameras' looks: background, colours and the global colour/tone/blur/noise style.
TARGET_CAMERA_LOOKS: tuple[dict, ...] = (
    dict(background="bricks", bg_colours=((150, 92, 72), (176, 124, 102)), gain=(1.06, 1.0, 0.9),
         offset=(5, 1, -4), contrast=0.95, saturation=0.9, blur=0.3, noise=3.0),          # warm indoor light
    dict(background="tiles", bg_colours=((150, 158, 170), (104, 110, 122)), gain=(0.92, 0.98, 1.08),
         offset=(-4, 0, 5), contrast=1.08, saturation=0.85, blur=0.2, noise=4.0),         # cold daylight
    dict(background="foliage", bg_colours=((80, 100, 70), (74, 118, 70)), gain=(0.96, 1.06, 0.94),
         offset=(0, 4, -3), contrast=1.18, saturation=0.8, blur=0.5, noise=5.0),          # green park, harsh
    dict(background="street", bg_colours=((170, 164, 156), (96, 96, 98)), gain=(1.0, 1.0, 1.0),
         offset=(16, 15, 14), contrast=0.8, saturation=0.7, blur=0.6, noise=3.0),         # hazy, washed out
    dict(background="tiles", bg_colours=((84, 78, 72), (60, 58, 56)), gain=(0.9, 0.88, 0.9),
         offset=(-8, -8, -5), contrast=1.0, saturation=0.8, blur=0.3, noise=8.0),         # dark, noisy
    dict(background="awning", bg_colours=((150, 92, 124), (196, 186, 178)), gain=(1.05, 0.92, 1.05),
         offset=(3, -4, 5), contrast=1.03, saturation=0.95, blur=0.8, noise=4.0),         # magenta, blurry
)


def _view_probs(preferred: int, rng: np.random.Generator, weight: float) -> tuple[float, float, float, float]:
    probs = rng.dirichlet(np.full(4, 4.0)) * (1 - weight)
    probs[preferred] += weight
    return tuple(float(p) for p in probs)


def source_cameras(rng: np.random.Generator) -> list[CameraStyle]:
    """The 6 source (PersonX-like) cameras: no cast, blur or noise; they differ in preferred view and
    background colours, which also vary from image to image (PersonX's many scenes), as does the brightness."""
    cameras = []
    for cam, colours in enumerate(SOURCE_BACKGROUNDS):
        cameras.append(CameraStyle(
            camera_id=cam, view_probs=_view_probs(cam % 4, rng, 0.45), scale=float(rng.uniform(0.86, 0.92)),
            background="gradient" if cam % 2 else "flat", bg_colours=colours, bg_jitter=30, occlusion=0.08,
            lighting=0.1))
    return cameras


def target_cameras(rng: np.random.Generator) -> list[CameraStyle]:
    """The 6 target (real-like) cameras of ``TARGET_CAMERA_LOOKS``, each look jittered slightly."""
    cameras = []
    for cam, look in enumerate(TARGET_CAMERA_LOOKS):
        jitter = rng.uniform(-0.02, 0.02, size=3)
        cameras.append(CameraStyle(
            camera_id=cam, view_probs=_view_probs(int(rng.integers(4)), rng, 0.35),
            scale=float(rng.uniform(0.88, 0.94)), clutter=float(rng.uniform(0.3, 1.0)), occlusion=0.15,
            lighting=0.12, **{**look, "gain": tuple(float(g + j) for g, j in zip(look["gain"], jitter))}))
    return cameras


@dataclass(frozen=True)
class Pose:
    """One image's pose: view (``VIEWS``), centre shift (fractions of the image width, height), zoom,
    leg stride and arm swing (-1..1, side views)."""

    view: str
    shift: tuple[float, float] = (0.0, 0.0)
    zoom: float = 1.0
    stride: float = 0.5
    swing: float = 0.0


def sample_pose(camera: CameraStyle, rng: np.random.Generator) -> Pose:
    """A random pose in ``camera``'s view distribution."""
    return Pose(view=VIEWS[rng.choice(4, p=camera.view_probs)],
                shift=(float(rng.uniform(-0.06, 0.06)), float(rng.uniform(-0.03, 0.03))),
                zoom=float(rng.uniform(0.92, 1.05)), stride=float(rng.uniform(0.1, 1.0)),
                swing=float(rng.uniform(-1.0, 1.0)))


def _shade(colour: Colour, factor: float) -> Colour:
    return tuple(int(min(255, c * factor)) for c in colour)


class _Figure:
    """Draws in figure units: ``x`` from the body's centre line (towards the facing side in side views),
    ``y`` down from the top of the head, both in multiples of the figure height ``u`` (pixels)."""

    def __init__(self, draw: ImageDraw.ImageDraw, cx: float, top: float, u: float, facing: int = 1) -> None:
        self.draw, self.cx, self.top, self.u, self.facing = draw, cx, top, u, facing

    def p(self, x: float, y: float) -> tuple[float, float]:
        """Pixel coordinates of the figure point ``(x, y)``."""
        return self.cx + self.facing * x * self.u, self.top + y * self.u

    def poly(self, points, fill: Colour, outline: bool = True) -> None:
        self.draw.polygon([self.p(x, y) for x, y in points], fill=fill, outline=_shade(fill, 0.6) if outline else None)

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: Colour, outline: bool = True) -> None:
        self.poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], fill, outline)

    def ellipse(self, x: float, y: float, rx: float, ry: float, fill: Colour) -> None:
        (xa, ya), (xb, yb) = self.p(x - rx, y - ry), self.p(x + rx, y + ry)
        self.draw.ellipse([min(xa, xb), ya, max(xa, xb), yb], fill=fill, outline=_shade(fill, 0.6))

    def line(self, start: tuple[float, float], end: tuple[float, float], fill: Colour, width: float) -> None:
        self.draw.line([self.p(*start), self.p(*end)], fill=fill, width=max(1, int(width * self.u)))

    def limb(self, start: tuple[float, float], angle: float, length: float, width: float,
             fill: Colour) -> tuple[float, float]:
        """A straight limb from ``start`` at ``angle`` (radians from straight down, positive towards the
        facing side); returns its end point."""
        end = (start[0] + math.sin(angle) * length, start[1] + math.cos(angle) * length)
        dx, dy = math.cos(angle) * width / 2, -math.sin(angle) * width / 2
        self.poly([(start[0] - dx, start[1] - dy), (start[0] + dx, start[1] + dy), (end[0] + dx, end[1] + dy),
                   (end[0] - dx, end[1] - dy)], fill)
        return end


# Figure landmarks (fractions of the figure height).
SHOULDER_Y, CHEST_Y, WAIST_Y, ANKLE_Y, FOOT_Y = 0.15, 0.19, 0.5, 0.945, 0.99


def _torso_half_width(person: PersonIdentity, side: bool):
    """Half width of the torso as a function of ``y`` (shoulder to waist, linear)."""
    top, bottom = (0.09, 0.085) if side else (0.155, 0.125)
    top, bottom = top * person.build, bottom * person.build
    return lambda y: top + (bottom - top) * min(max((y - CHEST_Y) / (WAIST_Y - CHEST_Y), 0.0), 1.0)


def _draw_top_pattern(f: _Figure, person: PersonIdentity, view: str, half) -> None:
    """The top's pattern in ``view`` (``"front"``, ``"back"`` or ``"side"``); ``half(y)``: torso half width."""
    def band(y0: float, y1: float) -> None:
        f.poly([(-half(y0), y0), (half(y0), y0), (half(y1), y1), (-half(y1), y1)], person.accent, outline=False)

    if person.top_pattern == "stripes":
        for y in (0.22, 0.31, 0.40):
            band(y, y + 0.045)
    elif person.top_pattern == "two_tone":
        band(0.34, WAIST_Y)
    elif person.top_pattern == "vertical_band" and view in ("front", "back"):
        f.rect(-0.035, SHOULDER_Y + 0.005, 0.035, WAIST_Y, person.accent, outline=False)
    elif person.top_pattern == "logo" and view == "front":
        f.rect(-0.055, 0.23, 0.055, 0.32, person.accent)


def _draw_head(f: _Figure, person: PersonIdentity, view: str) -> None:
    f.rect(-0.022, 0.11, 0.022, 0.165, person.skin)
    side = view in ("left", "right")
    if view == "back":
        f.ellipse(0.0, 0.07, 0.058, 0.07, person.hair)
    else:
        f.ellipse(-0.012 if side else 0.0, 0.062, 0.058, 0.062, person.hair)
        f.ellipse(0.014 if side else 0.0, 0.079, 0.047, 0.056, person.skin)
    if person.hat is not None:
        f.rect(-0.062, 0.0, 0.062, 0.038, person.hat)
        if side:
            f.rect(0.02, 0.03, 0.1, 0.046, _shade(person.hat, 0.8))
        elif view == "front":
            f.rect(-0.072, 0.032, 0.072, 0.048, _shade(person.hat, 0.8))


def _draw_front_or_back(f: _Figure, person: PersonIdentity, view: str) -> None:
    b, front = person.build, view == "front"
    half = _torso_half_width(person, side=False)
    if person.long_hair and front:
        f.rect(-0.075, 0.06, 0.075, 0.24, person.hair)
    skirt = person.bottom_type == "skirt"
    for s in (-1, 1):
        leg = (min(s * 0.015, s * 0.115 * b), max(s * 0.015, s * 0.115 * b))
        f.rect(leg[0], WAIST_Y - 0.02, leg[1], ANKLE_Y, person.skin if skirt else person.bottom)
        if person.bottom_type == "shorts":
            f.rect(leg[0] + 0.01, 0.66, leg[1] - 0.01, ANKLE_Y, person.skin)
        f.rect(min(s * 0.02, s * 0.128 * b), ANKLE_Y - 0.005, max(s * 0.02, s * 0.128 * b), FOOT_Y, person.shoes)
    if skirt:
        f.poly([(-half(WAIST_Y), WAIST_Y - 0.03), (half(WAIST_Y), WAIST_Y - 0.03), (0.17 * b, 0.71),
                (-0.17 * b, 0.71)], person.bottom)
    else:
        f.rect(-half(WAIST_Y), WAIST_Y - 0.03, half(WAIST_Y), 0.56, person.bottom, outline=False)
    for s in (-1, 1):
        x0, x1 = sorted((s * (half(CHEST_Y) - 0.01), s * (half(CHEST_Y) + 0.055)))
        f.rect(x0, 0.165, x1, 0.505, person.top)
        if not person.long_sleeves:
            f.rect(x0 + 0.006, 0.29, x1 - 0.006, 0.505, person.skin)
        f.ellipse(s * (half(CHEST_Y) + 0.025), 0.53, 0.03, 0.032, person.skin)
    f.poly([(-0.11 * b, SHOULDER_Y - 0.005), (0.11 * b, SHOULDER_Y - 0.005), (half(CHEST_Y), CHEST_Y),
            (half(WAIST_Y), WAIST_Y), (-half(WAIST_Y), WAIST_Y), (-half(CHEST_Y), CHEST_Y)], person.top)
    _draw_top_pattern(f, person, view, half)
    if person.backpack is not None:
        if front:
            for s in (-1, 1):
                f.rect(s * 0.075 * b - 0.013, SHOULDER_Y, s * 0.075 * b + 0.013, 0.36, person.backpack)
        else:
            f.rect(-0.105 * b, 0.18, 0.105 * b, 0.445, person.backpack)
            f.rect(-0.07 * b, 0.34, 0.07 * b, 0.42, _shade(person.backpack, 0.8))
    if person.bag is not None:
        s = 1 if front else -1
        f.line((-s * 0.09 * b, SHOULDER_Y), (s * 0.15 * b, 0.44), _shade(person.bag, 0.7), 0.018)
        f.rect(min(s * 0.1 * b, s * 0.22 * b), 0.43, max(s * 0.1 * b, s * 0.22 * b), 0.56, person.bag)
    _draw_head(f, person, view)
    if person.long_hair and not front:
        f.rect(-0.07, 0.07, 0.07, 0.26, person.hair)


def _draw_side(f: _Figure, person: PersonIdentity, pose: Pose) -> None:
    half = _torso_half_width(person, side=True)
    stride, swing = 0.12 + 0.3 * pose.stride, 0.45 * pose.swing
    hip, shoulder = (0.0, WAIST_Y - 0.01), (0.0, 0.175)
    skirt, shorts = person.bottom_type == "skirt", person.bottom_type == "shorts"
    if person.long_hair:
        f.rect(-0.07, 0.06, -0.005, 0.24, person.hair)
    arm_colour = person.top if person.long_sleeves else person.skin

    def arm(angle: float, shade: float) -> None:
        hand = f.limb(shoulder, angle, 0.33, 0.058, _shade(arm_colour, shade))
        f.limb(shoulder, angle, 0.12, 0.064, _shade(person.top, shade))
        f.ellipse(hand[0], hand[1] + 0.01, 0.028, 0.03, _shade(person.skin, shade))

    def leg(angle: float, shade: float) -> None:
        foot = f.limb(hip, angle, ANKLE_Y - hip[1], 0.09 * person.build,
                      _shade(person.skin if skirt or shorts else person.bottom, shade))
        if shorts:
            f.limb(hip, angle, 0.17, 0.1 * person.build, _shade(person.bottom, shade))
        f.rect(foot[0] - 0.04, foot[1] - 0.01, foot[0] + 0.07, foot[1] + 0.04, _shade(person.shoes, shade))

    arm(-swing, 0.8)
    leg(-stride, 0.85)
    leg(stride, 1.0)
    if person.backpack is not None:
        f.rect(-half(0.3) - 0.085, 0.18, -half(0.3) + 0.01, 0.43, person.backpack)
    if skirt:
        f.poly([(-half(WAIST_Y), WAIST_Y - 0.03), (half(WAIST_Y), WAIST_Y - 0.03), (0.13, 0.71), (-0.13, 0.71)],
               person.bottom)
    else:
        f.rect(-half(WAIST_Y), WAIST_Y - 0.03, half(WAIST_Y), 0.57, person.bottom)
    f.poly([(-half(CHEST_Y) * 0.9, SHOULDER_Y - 0.005), (half(CHEST_Y) * 0.9, SHOULDER_Y - 0.005),
            (half(CHEST_Y), CHEST_Y), (half(WAIST_Y), WAIST_Y), (-half(WAIST_Y), WAIST_Y),
            (-half(CHEST_Y), CHEST_Y)], person.top)
    _draw_top_pattern(f, person, "side", half)
    if person.bag is not None:
        f.line((-0.04, SHOULDER_Y), (0.03, 0.42), _shade(person.bag, 0.7), 0.018)
        f.rect(-0.02, 0.41, 0.1, 0.55, person.bag)
    arm(swing, 1.0)
    _draw_head(f, person, pose.view)


def draw_person(draw: ImageDraw.ImageDraw, person: PersonIdentity, pose: Pose, canvas: tuple[int, int],
                scale: float) -> None:
    """Draw ``person`` in ``pose`` onto a ``canvas`` of ``(height, width)`` pixels; ``scale``: person
    height as a fraction of the canvas height (before the pose's zoom and the person's height)."""
    height, width = canvas
    full = height * scale * pose.zoom  # the tallest person's height: all stand on the same ground
    u = full * person.height
    cx = width * (0.5 + pose.shift[0])
    top = height * (0.5 + pose.shift[1]) + full / 2 - u
    f = _Figure(draw, cx, top, u, facing=-1 if pose.view == "left" else 1)
    if pose.view in ("front", "back"):
        _draw_front_or_back(f, person, pose.view)
    else:
        _draw_side(f, person, pose)


def _random_shade(colour: Colour, rng: np.random.Generator, spread: int = 10) -> Colour:
    return tuple(int(np.clip(c + j, 0, 255)) for c, j in zip(colour, rng.integers(-spread, spread + 1, size=3)))


def _muted(rng: np.random.Generator) -> Colour:
    """A random dull colour (clutter, occluders)."""
    grey = rng.uniform(50, 180)
    return tuple(int(np.clip(grey + d, 0, 255)) for d in rng.normal(0, 18, size=3))


def _flat(image: Image.Image, draw: ImageDraw.ImageDraw, upper: Colour, lower: Colour,
          rng: np.random.Generator) -> None:
    w, h = image.size
    draw.rectangle([0, 0, w, h], fill=upper)
    draw.rectangle([0, h * rng.uniform(0.74, 0.82), w, h], fill=lower)


def _gradient(image: Image.Image, draw: ImageDraw.ImageDraw, upper: Colour, lower: Colour,
              rng: np.random.Generator) -> None:
    w, h = image.size
    ramp = Image.linear_gradient("L").resize((w, h))
    image.paste(Image.composite(Image.new("RGB", (w, h), _shade(upper, 0.78)), Image.new("RGB", (w, h), upper),
                                ramp))
    draw.rectangle([0, h * rng.uniform(0.74, 0.82), w, h], fill=lower)


def _bricks(image: Image.Image, draw: ImageDraw.ImageDraw, upper: Colour, lower: Colour,
            rng: np.random.Generator) -> None:
    w, h = image.size
    draw.rectangle([0, 0, w, h], fill=upper)
    row, phase, mortar = h / 16, rng.uniform(0, 1), _shade(upper, 1.12)
    width = max(1, int(row * 0.15))
    for i in range(17):
        y = (i + phase) * row
        draw.line([(0, y), (w, y)], fill=mortar, width=width)
        for x in np.arange((i % 2) * row, w, 2 * row):
            draw.line([(x, y), (x, y + row)], fill=mortar, width=width)


def _tiles(image: Image.Image, draw: ImageDraw.ImageDraw, upper: Colour, lower: Colour,
           rng: np.random.Generator) -> None:
    """A wall above a tiled floor in perspective."""
    w, h = image.size
    draw.rectangle([0, 0, w, h], fill=upper)
    horizon = h * rng.uniform(0.3, 0.45)
    draw.rectangle([0, horizon, w, h], fill=lower)
    joint, width = _shade(lower, 1.2), max(1, h // 120)
    for k in range(1, 9):
        y = horizon + (h - horizon) * (k / 8) ** 1.6
        draw.line([(0, y), (w, y)], fill=joint, width=width)
    for x in np.linspace(-w, 2 * w, 9) + rng.uniform(0, w / 3):
        draw.line([(w / 2, horizon), (x, h)], fill=joint, width=width)


def _foliage(image: Image.Image, draw: ImageDraw.ImageDraw, upper: Colour, lower: Colour,
             rng: np.random.Generator) -> None:
    w, h = image.size
    draw.rectangle([0, 0, w, h], fill=upper)
    for _ in range(40):
        x, y, r = rng.uniform(0, w), rng.uniform(0, h * 0.8), rng.uniform(0.05, 0.15) * w
        draw.ellipse([x - r, y - r, x + r, y + r], fill=_random_shade(lower, rng, 16))
    draw.rectangle([0, h * 0.8, w, h], fill=_shade(upper, 0.8))


def _street(image: Image.Image, draw: ImageDraw.ImageDraw, upper: Colour, lower: Colour,
            rng: np.random.Generator) -> None:
    """A facade with windows above a road with lane marks."""
    w, h = image.size
    draw.rectangle([0, 0, w, h * 0.62], fill=upper)
    for x in np.arange(rng.uniform(0, w / 3), w, w / 3):
        draw.rectangle([x, h * 0.08, x + w * 0.16, h * 0.3], fill=_shade(upper, 0.55))
    draw.rectangle([0, h * 0.62, w, h], fill=lower)
    for x in np.arange(rng.uniform(0, w / 2), w, w / 2):
        draw.rectangle([x, h * 0.86, x + w * 0.2, h * 0.88], fill=(220, 220, 210))


def _awning(image: Image.Image, draw: ImageDraw.ImageDraw, upper: Colour, lower: Colour,
            rng: np.random.Generator) -> None:
    """A striped shop awning above a wall."""
    w, h = image.size
    stripe = w / 6
    for i, x in enumerate(np.arange(-stripe * rng.uniform(0, 1), w, stripe)):
        draw.rectangle([x, 0, x + stripe, h * 0.25], fill=upper if i % 2 else lower)
    draw.rectangle([0, h * 0.25, w, h], fill=_shade(lower, 0.7))


#: Background painters by ``CameraStyle.background``: ``(image, draw, upper colour, lower colour, rng)``.
BACKGROUNDS = {"flat": _flat, "gradient": _gradient, "bricks": _bricks, "tiles": _tiles, "foliage": _foliage,
               "street": _street, "awning": _awning}


def _draw_background(image: Image.Image, camera: CameraStyle, rng: np.random.Generator) -> None:
    """The camera's background (per-image colours and texture phase) and its clutter, in place."""
    draw = ImageDraw.Draw(image)
    upper, lower = (_random_shade(c, rng, camera.bg_jitter) for c in camera.bg_colours)
    BACKGROUNDS[camera.background](image, draw, upper, lower, rng)
    w, h = image.size
    for _ in range(int(rng.poisson(camera.clutter))):
        colour = _muted(rng)
        x0, y0 = rng.uniform(-0.1, 0.9) * w, rng.uniform(0.0, 0.9) * h
        box = [x0, y0, x0 + rng.uniform(0.1, 0.35) * w, y0 + rng.uniform(0.05, 0.3) * h]
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)


def _draw_occluder(draw: ImageDraw.ImageDraw, canvas: tuple[int, int], rng: np.random.Generator) -> None:
    """An object hiding the lower part (bench, car, bag) or one side (pole, passer-by) of the person."""
    h, w = canvas
    colour = _muted(rng)
    if rng.random() < 0.5:
        top = h * rng.uniform(0.62, 0.8)
        x0 = w * rng.uniform(-0.3, 0.3)
        draw.rectangle([x0, top, x0 + w * rng.uniform(0.7, 1.2), h], fill=colour)
    else:
        width = w * rng.uniform(0.2, 0.35)
        x0 = -0.05 * w if rng.random() < 0.5 else w * 1.05 - width
        draw.rectangle([x0, h * rng.uniform(0.0, 0.3), x0 + width, h], fill=colour)


def apply_camera_look(image: Image.Image, camera: CameraStyle, rng: np.random.Generator) -> Image.Image:
    """Blur, per-image lighting (brightness and a linear shading), saturation, contrast, colour cast
    and sensor noise of ``camera``, at the image's size."""
    if camera.blur > 0:
        image = image.filter(ImageFilter.GaussianBlur(camera.blur * image.height / REFERENCE_HEIGHT))
    x = np.asarray(image, dtype=np.float32)
    h, w = x.shape[:2]
    direction = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = (math.cos(direction) * (xx / w - 0.5) + math.sin(direction) * (yy / h - 0.5))
    light = (1 + rng.uniform(-camera.lighting, camera.lighting)) * (1 + camera.lighting * ramp)
    x = x * light[..., None]
    grey = x.mean(axis=2, keepdims=True)
    x = grey + (x - grey) * camera.saturation
    x = (x - 128.0) * camera.contrast + 128.0
    x = x * np.asarray(camera.gain, dtype=np.float32) + np.asarray(camera.offset, dtype=np.float32)
    x += rng.normal(0.0, camera.noise, size=x.shape).astype(np.float32)
    return Image.fromarray(np.clip(np.rint(x), 0, 255).astype(np.uint8))


def render_person(person: PersonIdentity | None, camera: CameraStyle, rng: np.random.Generator,
                  size: tuple[int, int] = (64, 32), pose: Pose | None = None) -> Image.Image:
    """One ``size`` = ``(height, width)`` RGB image of ``person`` seen by ``camera``.

    Args:
        person: the identity, or ``None`` for an empty background (a false detection).
        pose: the pose; drawn from ``sample_pose`` by default.
    """
    height, width = size
    canvas = (height * SUPERSAMPLE, width * SUPERSAMPLE)
    image = Image.new("RGB", (canvas[1], canvas[0]))
    _draw_background(image, camera, rng)
    draw = ImageDraw.Draw(image)
    if person is not None:
        draw_person(draw, person, pose if pose is not None else sample_pose(camera, rng), canvas, camera.scale)
    if rng.random() < camera.occlusion:
        _draw_occluder(draw, canvas, rng)
    image = image.resize((width, height), Image.Resampling.LANCZOS)
    return apply_camera_look(image, camera, rng)


def fragment_pose(camera: CameraStyle, rng: np.random.Generator) -> Pose:
    """A badly framed detection: the person zoomed in and shifted so that only a part shows
    (Market-1501's junk images)."""
    pose = sample_pose(camera, rng)
    return replace(pose, zoom=float(rng.uniform(1.7, 2.3)),
                   shift=(float(rng.uniform(-0.3, 0.3)), float(rng.choice([-0.45, 0.45]))))
