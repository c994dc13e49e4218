"""Demo pictures drawn with Pillow at seed time (nothing is downloaded): a warehouse front for each
demo warehouse, so the first search shows photos, and a damaged carton for a stock adjustment."""

import io
import random

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from .demo import SITES
from .models import Warehouse, WarehousePhoto

SIZE = (960, 600)
SKIES = [(142, 188, 222), (176, 206, 229), (214, 190, 160), (160, 196, 214), (196, 214, 230)]
WALLS = [(88, 108, 124), (150, 160, 168), (182, 92, 64), (70, 112, 96), (120, 96, 150), (196, 168, 92)]


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=82)
    return buffer.getvalue()


def warehouse_picture(seed: int) -> bytes:
    """A warehouse front: sky, a corrugated wall with roller doors and a dock, a yard and a truck."""
    rng = random.Random(seed)
    width, height = SIZE
    sky = SKIES[seed % len(SKIES)]
    wall = WALLS[seed % len(WALLS)]
    image = Image.new("RGB", SIZE, sky)
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.72)
    for y in range(0, horizon):  # the sky lightens towards the horizon
        shade = tuple(min(255, c + y * 60 // horizon) for c in sky)
        draw.line([(0, y), (width, y)], fill=shade)
    draw.rectangle([0, horizon, width, height], fill=(118, 120, 116))  # the yard
    left, right, top = 60 + rng.randint(0, 40), width - 60 - rng.randint(0, 40), 150 + rng.randint(0, 40)
    draw.polygon([(left - 10, top), ((left + right) // 2, top - 55), (right + 10, top)], fill=(60, 64, 70))
    draw.rectangle([left, top, right, horizon], fill=wall)
    darker = tuple(max(0, c - 22) for c in wall)
    for x in range(left, right, 14):  # the corrugated cladding
        draw.line([(x, top), (x, horizon)], fill=darker, width=3)
    doors = rng.randint(3, 5)
    span = (right - left) / (doors + 1)
    for index in range(doors):
        x = int(left + span * (index + 0.6))
        draw.rectangle([x, horizon - 150, x + int(span * 0.7), horizon], fill=(212, 214, 208))
        for y in range(horizon - 150, horizon, 12):
            draw.line([(x, y), (x + int(span * 0.7), y)], fill=(170, 172, 168), width=2)
    draw.rectangle([left, horizon - 8, right, horizon + 14], fill=(70, 70, 70))  # the dock
    sign_w = min(300, (right - left) // 2)
    draw.rectangle([left + 30, top + 20, left + 30 + sign_w, top + 62], fill=(250, 250, 245))
    draw.rectangle([left + 44, top + 32, left + 30 + sign_w - 14, top + 50], fill=wall)
    truck = rng.randint(120, width - 420)
    draw.rectangle([truck, horizon + 30, truck + 260, horizon + 120], fill=(236, 236, 232))  # trailer
    draw.rectangle([truck + 262, horizon + 58, truck + 330, horizon + 120], fill=(196, 58, 48))  # cab
    draw.rectangle([truck + 290, horizon + 66, truck + 322, horizon + 88], fill=(180, 210, 230))
    for x in (truck + 30, truck + 80, truck + 220, truck + 300):
        draw.ellipse([x - 16, horizon + 108, x + 16, horizon + 140], fill=(30, 30, 30))
    return _jpeg(image)


def damaged_carton_picture() -> bytes:
    """A crushed carton on a pallet, for the demo's stock adjustment."""
    image = Image.new("RGB", (800, 560), (214, 216, 210))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 430, 800, 560], fill=(150, 150, 146))
    draw.rectangle([200, 400, 600, 440], fill=(170, 128, 80))  # the pallet
    draw.polygon([(230, 400), (250, 190), (420, 230), (560, 170), (580, 400)], fill=(196, 152, 98))
    draw.line([(420, 230), (400, 400)], fill=(140, 100, 60), width=6)  # the crease
    draw.line([(300, 210), (330, 400)], fill=(150, 110, 70), width=3)
    draw.polygon([(430, 240), (480, 300), (440, 330)], fill=(120, 86, 50))  # the tear
    draw.rectangle([280, 270, 380, 320], fill=(245, 245, 240))  # the label
    return _jpeg(image)


def warehouse_photos_seed() -> int:
    """Two drawn photos for each demo warehouse that has none; returns the photos added (0 on a second run)."""
    added = 0
    demo = Warehouse.objects.filter(name__in=[site[0] for site in SITES], photos__isnull=True)
    for warehouse in demo.order_by("pk"):
        for index, caption in enumerate(("Street front and loading docks", "Yard and truck access")):
            picture = warehouse_picture(warehouse.pk * 7 + index * 3)
            WarehousePhoto.objects.create(
                warehouse=warehouse,
                image=ContentFile(picture, name=f"demo-{warehouse.pk}-{index + 1}.jpg"),
                caption=f"{warehouse.name}: {caption}",
            )
            added += 1
    return added
