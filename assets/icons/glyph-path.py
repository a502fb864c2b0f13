#!/usr/bin/env python3
"""Prints the outline of one character from an OpenType font as an SVG path (1000 units per em, y down,
baseline at 880), for drawing that character into the icon without the font at render time.

Authoring aid, not part of any build: the icon's 便 was made with
    pip install fonttools
    python3 glyph-path.py /usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc 0 便
(Noto Serif CJK JP Bold, SIL Open Font License 1.1, which allows glyphs to be used in artwork.)
"""
import sys

from fontTools.pens.svgPathPen import SVGPathPen
from fontTools.pens.transformPen import TransformPen
from fontTools.ttLib import TTCollection, TTFont


def main() -> None:
    path, index, char = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    font = TTCollection(path).fonts[index] if path.endswith(".ttc") else TTFont(path)
    glyphs = font.getGlyphSet()
    units = font["head"].unitsPerEm
    pen = SVGPathPen(glyphs, ntos=lambda v: ("%.1f" % v).rstrip("0").rstrip("."))
    # Font outlines have y pointing up; SVG has it pointing down.
    glyphs[font.getBestCmap()[ord(char)]].draw(TransformPen(pen, (1, 0, 0, -1, 0, units * 0.88)))
    print(pen.getCommands())


if __name__ == "__main__":
    main()
