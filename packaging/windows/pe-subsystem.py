#!/usr/bin/env python3
"""Reads or sets the subsystem of a Windows executable (PE32+), like `editbin /SUBSYSTEM`.

Why: the release tayori.exe is a GUI-subsystem program (#![windows_subsystem = "windows"]), so starting
it from the Start menu or a mailto: link opens no console window. Such a program, started from a
terminal, cannot print to it, so `tayori --version` or `tayori account add` would show nothing. The
installer therefore also ships tayori-cli.exe: the very same program with the console subsystem, made
here by changing the two bytes of the header field (and the header checksum, if the linker set one).

Usage: pe-subsystem.py FILE                 prints gui or console, and whether the checksum is right
       pe-subsystem.py IN OUT console|gui   writes a copy of IN with that subsystem to OUT
"""
import array
import struct
import sys

SUBSYSTEMS = {"gui": 2, "console": 3}
NAMES = {v: k for k, v in SUBSYSTEMS.items()}


def header_offsets(data: bytes) -> tuple[int, int]:
    """Offsets of the optional header's CheckSum and Subsystem fields."""
    if data[:2] != b"MZ":
        raise SystemExit("not a Windows executable (no MZ header)")
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    if data[pe : pe + 4] != b"PE\0\0":
        raise SystemExit("not a PE file (no PE signature)")
    optional = pe + 4 + 20
    magic = struct.unpack_from("<H", data, optional)[0]
    if magic not in (0x10B, 0x20B):
        raise SystemExit(f"unknown optional header magic {magic:#x}")
    # Both PE32 and PE32+ keep CheckSum at 64 and Subsystem at 68 from the optional header's start.
    return optional + 64, optional + 68


def pe_checksum(data: bytearray, checksum_at: int) -> int:
    """The PE image checksum (as imagehlp's CheckSumMappedFile computes it)."""
    # The sum of all 16-bit words with each carry added back in (ones' complement) is the plain
    # sum folded at the end: the same value as imagehlp's word-by-word loop, at C speed (the loop in
    # Python took 20 s for a 127 MB debug build).
    words = array.array("H", bytes(data) + b"\0" * (len(data) % 2))
    if sys.byteorder == "big":
        words.byteswap()
    total = sum(words)
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    # The checksum field itself counts as zero.
    for (word,) in struct.iter_unpack("<H", bytes(data[checksum_at : checksum_at + 4])):
        total -= word
        if total < 0:
            total += 0xFFFF
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    return (total + len(data)) & 0xFFFFFFFF


def main() -> None:
    if len(sys.argv) == 2:
        data = bytearray(open(sys.argv[1], "rb").read())
        checksum_at, at = header_offsets(data)
        value = struct.unpack_from("<H", data, at)[0]
        stored = struct.unpack_from("<I", data, checksum_at)[0]
        if stored == 0:
            state = "no checksum"
        elif stored == pe_checksum(data, checksum_at):
            state = "checksum ok"
        else:
            state = "checksum WRONG"
        print(f"{NAMES.get(value, f'other ({value})')} ({state})")
        return
    if len(sys.argv) != 4 or sys.argv[3] not in SUBSYSTEMS:
        raise SystemExit(__doc__)
    data = bytearray(open(sys.argv[1], "rb").read())
    checksum_at, at = header_offsets(data)
    struct.pack_into("<H", data, at, SUBSYSTEMS[sys.argv[3]])
    if struct.unpack_from("<I", data, checksum_at)[0] != 0:
        struct.pack_into("<I", data, checksum_at, pe_checksum(data, checksum_at))
    with open(sys.argv[2], "wb") as out:
        out.write(data)


if __name__ == "__main__":
    main()
