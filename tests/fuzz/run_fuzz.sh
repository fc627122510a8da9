#!/usr/bin/env bash
# Builds the libFuzzer targets for the file parsers and runs each for SECONDS (default 60).
#
#   tests/fuzz/run_fuzz.sh [SECONDS]        # exit status non-zero on any finding
#
# Each target is compiled directly from the few .cpp files it needs (not the whole library)
# with clang++ -fsanitize=fuzzer,address,undefined, into $FUZZ_DIR (default build-fuzz/).
# Seeds are small valid files made by make_seeds.py; the corpus libFuzzer grows is kept in
# $FUZZ_DIR/corpus_<target> between runs. A finding leaves a reproducer at
# $FUZZ_DIR/crash-<target>-*; replay it with `$FUZZ_DIR/fuzz_<target> FILE`.
set -euo pipefail

secs=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_DIR:-$root/build-fuzz}
cxx=${CXX_FUZZ:-clang++}
python=${PYTHON:-/usr/bin/python3}
mkdir -p "$out"
cd "$root"

flags=(-std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=all -I"$root")
echo "building fuzz_safetensors, fuzz_idx with $cxx"
"$cxx" "${flags[@]}" tests/fuzz/fuzz_safetensors.cpp io/safetensors_header.cpp tensor/shape.cpp \
  -lfmt -o "$out/fuzz_safetensors"
"$cxx" "${flags[@]}" tests/fuzz/fuzz_idx.cpp data/idx.cpp -lfmt -lz -o "$out/fuzz_idx"

"$python" tests/fuzz/make_seeds.py "$out/seeds_safetensors" "$out/seeds_idx"
cp tests/fixtures/python_written.safetensors "$out/seeds_safetensors/"

status=0
for t in safetensors idx; do
  mkdir -p "$out/corpus_$t"
  dict=()
  [[ -f tests/fuzz/$t.dict ]] && dict=(-dict="tests/fuzz/$t.dict")
  echo "== fuzz_$t for ${secs}s"
  set +e
  "$out/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/crash-$t-" "${dict[@]}" "$out/corpus_$t" "$out/seeds_$t" \
    > "$out/fuzz_$t.log" 2>&1
  rc=$?
  set -e
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov: " "$out/fuzz_$t.log" | tail -3
  if [[ $rc -ne 0 ]]; then
    echo "fuzz_$t: FINDING (exit $rc); see $out/fuzz_$t.log and $out/crash-$t-*"
    grep -E "ERROR|SUMMARY|runtime error|deadly|uncaught" "$out/fuzz_$t.log" | head -5
    status=1
  else
    echo "fuzz_$t: no findings"
  fi
done
exit $status
