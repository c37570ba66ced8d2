"""Chaos suite: the SDK against a faulty emulator, counting what survived."""
