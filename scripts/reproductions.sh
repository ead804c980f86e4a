#!/usr/bin/env bash
# Regenerates docs/reproductions.md's tables: runs the four paper grids (unless --tables-only) into OUT
# (default results/) and replaces each <!-- table:NAME --> block of the document with the freshly computed one.
#   scripts/reproductions.sh [--tables-only] [OUT]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN=1
if [ "${1:-}" = "--tables-only" ]; then RUN=0; shift; fi
OUT="${1:-$ROOT/results}"
if [ "$RUN" = 1 ]; then
  for g in glorot2010 he2015 ioffe2015 he2016; do
    "$ROOT/bin/gradflow" sweep --grid "$ROOT/conf/grids/paper-$g.yaml" --out "$OUT" --overwrite --quiet
  done
fi
"$ROOT/bin/gradflow" --version >/dev/null   # builds the jar if needed
TABLES="$(mktemp)"
# The table renderer reads Parquet with an in-process Spark: Spark's Java 17 flags, as in bin/gradflow.
source "$ROOT/scripts/java17-opens.sh"
java -Xmx1g "${ADD_OPENS[@]}" \
  -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
  -cp "$ROOT/target/gradflow.jar:$ROOT/target/lib/*" io.gradflow.theory.ReproductionTables "$OUT" > "$TABLES"
python3 - "$ROOT/docs/reproductions.md" "$TABLES" <<'PY'
import re, sys
doc_path, tables_path = sys.argv[1], sys.argv[2]
doc, tables = open(doc_path).read(), open(tables_path).read()
for m in re.finditer(r"<!-- table:(\S+) -->\n.*?<!-- /table:\1 -->\n", tables, re.S):
    name = m.group(1)
    pat = re.compile(r"<!-- table:%s -->\n.*?<!-- /table:%s -->\n" % (re.escape(name), re.escape(name)), re.S)
    if not pat.search(doc):
        sys.exit("docs/reproductions.md has no block for table " + name)
    doc = pat.sub(lambda _: m.group(0), doc)
open(doc_path, "w").write(doc)
PY
rm -f "$TABLES"
echo "updated $ROOT/docs/reproductions.md from $OUT" >&2
