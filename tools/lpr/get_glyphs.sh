#!/bin/sh
# The plate typeface for renderer B (tools/lpr/render.py GlyphSet): character images and plate
# blanks of leijd/chinese_license_plate_generator (MIT, (c) 2020 leijd), into var/lpr/glyphs.
#   sh tools/lpr/get_glyphs.sh [SOURCE]
# SOURCE: a git URL or a local git directory of that repository or a fork carrying its
# font_model/ and plate_model/ (default: the upstream on GitHub). Training and the renderer-B
# measuring sets need it; the product and the test suite do not.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SRC=${1:-https://github.com/leijd/chinese_license_plate_generator.git}
OUT=${LPR_GLYPHS:-$ROOT/var/lpr/glyphs}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
if [ -d "$SRC" ]; then GIT_DIR=$SRC; else git clone -q --bare --depth 1 "$SRC" "$TMP/repo.git"; GIT_DIR=$TMP/repo.git; fi
mkdir -p "$OUT"
git --git-dir="$GIT_DIR" archive HEAD font_model plate_model LICENSE | tar -x -C "$OUT"
# forks name the new-energy blanks by colour: green = the small (car) plate, green_yellow the large (truck) one
cd "$OUT/plate_model"
[ -f green_car_140.PNG ] || [ ! -f green_140.PNG ] || cp green_140.PNG green_car_140.PNG
[ -f green_truck_140.PNG ] || [ ! -f green_yellow_140.PNG ] || cp green_yellow_140.PNG green_truck_140.PNG
echo "[glyphs] $(ls "$OUT/font_model" | wc -l) glyphs, $(ls "$OUT/plate_model" | wc -l) blanks in $OUT ($(head -3 "$OUT/LICENSE" | tr '\n' ' '))"
