#!/usr/bin/env python3
"""Lists the resource types a Windows program carries (from its PE resource directory), by name:
`icon`, `icon-group`, `version`, … — so the packaging check can see that tayori.exe has its icon
and version details linked in."""
import struct
import sys

NAMES = {3: "icon", 14: "icon-group", 16: "version", 24: "manifest"}


def resource_types(path):
    data = open(path, "rb").read()
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    if data[pe : pe + 4] != b"PE\0\0":
        raise SystemExit(f"{path}: not a PE file")
    sections = struct.unpack_from("<H", data, pe + 6)[0]
    optional_size = struct.unpack_from("<H", data, pe + 20)[0]
    optional = pe + 24
    magic = struct.unpack_from("<H", data, optional)[0]
    directories = optional + (112 if magic == 0x20B else 96)
    rva, _size = struct.unpack_from("<II", data, directories + 2 * 8)
    if rva == 0:
        return []
    table = optional + optional_size
    for i in range(sections):
        entry = table + i * 40
        vsize, vaddr, raw_size, raw_ptr = struct.unpack_from("<IIII", data, entry + 8)
        if vaddr <= rva < vaddr + max(vsize, raw_size):
            root = raw_ptr + (rva - vaddr)
            break
    else:
        raise SystemExit(f"{path}: the resource table is in no section")
    named, ids = struct.unpack_from("<HH", data, root + 12)
    types = []
    for i in range(named + ids):
        ident, _ = struct.unpack_from("<II", data, root + 16 + i * 8)
        if not ident & 0x80000000:
            types.append(NAMES.get(ident, str(ident)))
    return types


if __name__ == "__main__":
    print(" ".join(resource_types(sys.argv[1])))
