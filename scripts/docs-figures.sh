#!/usr/bin/env bash
# Remakes the figures of docs/: synthetic-vs-real.png (a generated full-size 4-view exam beside the
# real GH133.dcm of shared/data/dicom, all at GH133's first window, 2653/900, linear), and the
# viewer's screenshots (viewer-screening-overview.png, viewer-prior-comparison.png, ai-marks.png),
# taken by the viewer's and the AI marks' end-to-end tests in Chromium. Needs dcmtk (dcmj2pnm), ImageMagick (convert) and Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
real=../shared/data/dicom/fo-dicom/GH133.dcm
seed=${1:-docs}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
node bin/binome.js demo --patients 1 --priors 0 --plain --size full --seed "$seed" --abnormal-rate 1 --out "$work/demo" >/dev/null
exam=$(ls -d "$work"/demo/SYN*00001/*-current)
for v in RMLO LMLO RCC LCC; do
  dcmj2pnm --write-png --set-window 2653 900 --scale-y-size 700 "$exam/$v.dcm" "$work/$v.png"
done
dcmj2pnm --write-png --set-window 2653 900 --scale-y-size 1400 "$real" "$work/real.png"
# hang the synthetic exam mirror-image (right breast on the left, chest walls back to back)
convert "$work/RMLO.png" "$work/LMLO.png" +append "$work/mlo.png"
convert "$work/RCC.png" "$work/LCC.png" +append "$work/cc.png"
convert "$work/mlo.png" "$work/cc.png" -append "$work/synthetic.png"
mkdir -p docs
# left: the real image; right: the synthetic exam (captions are in docs/synthetic-exams.md)
convert "$work/real.png" -size 24x10 xc:gray20 "$work/synthetic.png" -background black -gravity north +append -resize 1800x -strip -interlace none docs/synthetic-vs-real.png
echo "wrote docs/synthetic-vs-real.png"
BINOME_SCREENSHOTS="$work/shots" node scripts/test.mjs e2e/viewer >/dev/null
for shot in viewer-screening-overview viewer-prior-comparison; do
  convert "$work/shots/$shot.png" -resize 1400x -strip "docs/$shot.png"
done
echo "wrote docs/viewer-screening-overview.png and docs/viewer-prior-comparison.png"
BINOME_SCREENSHOTS="$work/shots" node scripts/test.mjs e2e/ai-marks >/dev/null
convert "$work/shots/ai-marks-overview.png" -resize 1400x -strip docs/ai-marks.png
echo "wrote docs/ai-marks.png"
