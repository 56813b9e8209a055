"""Wire protocols of the gate's RS-485 devices: pure encoders/decoders, bytes in and out.

No I/O, no clock, no asyncio; MicroPython-friendly (no dataclasses, no typing at run time).
Each module names the public document it implements, and its tests use that document's
worked examples byte for byte.
"""
