from tests.orchestration.support import _emulator_control, bank, emulator, emulator_url

__all__ = ["_emulator_control", "bank", "emulator", "emulator_url"]
