#!/usr/bin/env bash
# Recalculates an hta workbook with LibreOffice (forced recalc on load) and prints Results.
# Usage: scripts/excel-recalc.sh WORKBOOK.xlsx OUTDIR
set -euo pipefail
profile=$(mktemp -d)
mkdir -p "$profile/user"
cat > "$profile/user/registrymodifications.xcu" <<'XCU'
<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
XCU
soffice -env:UserInstallation=file://"$profile" --headless --convert-to xlsx --outdir "$2" "$1" >/dev/null
python=$(dirname "$0")/../target/excel-venv/bin/python
"$python" - "$2/$(basename "$1")" <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], data_only=True)
for row in wb['Results'].iter_rows(values_only=True):
    print(row)
errs = [(ws.title, c.coordinate, c.value) for ws in wb for row in ws.iter_rows() for c in row
        if isinstance(c.value, str) and c.value.startswith('#')]
print("formula errors:", errs[:10] or "none")
PY
