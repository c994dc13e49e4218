import pytest

from escrow.gateways import get_gateway
from escrow.gateways.simulated import SimulatedGateway


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _fresh_gateway():
    gateway = get_gateway()
    if isinstance(gateway, SimulatedGateway):
        gateway.reset()
