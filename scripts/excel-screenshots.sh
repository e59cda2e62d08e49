#!/usr/bin/env bash
# Writes a model's workbook, recalculates it in LibreOffice (forced recalc on load), converts it
# to PDF (each sheet one landscape page wide) and the pages to PNG, for looking at the sheets.
# Usage: [HTA=path/to/hta] scripts/excel-screenshots.sh MODEL.yaml OUTDIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$2
mkdir -p "$out/recalc"
profile=$(mktemp -d)
mkdir -p "$profile/user"
cat > "$profile/user/registrymodifications.xcu" <<'XCU'
<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
XCU
name=$(basename "$1" .yaml)
"${HTA:-$root/target/release/hta}" excel "$1" --out "$out/$name.xlsx" --force
soffice -env:UserInstallation=file://"$profile" --headless --convert-to xlsx --outdir "$out/recalc" "$out/$name.xlsx" >/dev/null 2>&1
soffice -env:UserInstallation=file://"$profile" --headless --convert-to pdf --outdir "$out" "$out/recalc/$name.xlsx" >/dev/null 2>&1
pdftoppm -png -r "${DPI:-110}" "$out/$name.pdf" "$out/$name"
rm -rf "$profile"
ls "$out"/"$name"*.png
