#!/usr/bin/env bash
# zerogen's one set-up script. On a fresh Debian machine it installs what is missing
# (Debian packages only), builds in Release, and then:
#   ./run.sh            runs the main job (`zerogen` on its defaults: train-classifier)
#   ./run.sh test       runs every test (ctest: the doctest suites and the quickstart)
#   ./run.sh sanitize   builds and runs the tests under AddressSanitizer + UBSan (build-asan/),
#                       all but the long numerical ones (doctest suite "long")
#   ./run.sh bench      runs bench/run_models.sh and bench/run_core.sh (zerogen vs PyTorch)
#   ./run.sh fuzz [S]   runs the libFuzzer targets of tests/fuzz/ for S seconds each (60)
#   ./run.sh docs       builds the API reference (Doxygen) into build/docs/html/
# Each step is skipped when already done, so a second run costs only the job itself.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(cmake g++ make pkg-config libopenblas-dev libfmt-dev doctest-dev libcli11-dev
  zlib1g-dev nlohmann-json3-dev libstb-dev dataset-fashion-mnist)
JOBS=${JOBS:-$(nproc)}

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "run.sh: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {  # build DIR [cmake args...]
  local dir=$1
  shift
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    cmake -S . -B "$dir" "$@" >/dev/null
  fi
  cmake --build "$dir" -j "$JOBS"
}

case "${1:-run}" in
  run)
    install_missing
    build build
    shift || true
    ./build/zerogen "$@"
    ;;
  test)
    install_missing
    build build
    ctest --test-dir build --output-on-failure
    ;;
  sanitize)
    install_missing
    # Without CUDA: ASan's shadow memory and the CUDA driver's mappings do not mix (GPU code
    # is checked with compute-sanitizer instead), and the Release build compiles it already.
    build build-asan -DZEROGEN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
      -DZEROGEN_BENCH=OFF -DZEROGEN_CUDA=OFF
    export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    ctest --test-dir build-asan --output-on-failure
    ;;
  bench)
    install_missing python3-torch
    bash bench/run_models.sh
    bash bench/run_core.sh
    ;;
  fuzz)
    install_missing clang libclang-rt-14-dev python3-numpy
    bash tests/fuzz/run_fuzz.sh "${2:-60}"
    ;;
  docs)
    install_missing doxygen
    cmake -S . -B build >/dev/null  # a build configured before doxygen was there gains the target
    cmake --build build --target docs
    ;;
  *)
    echo "usage: ./run.sh [run|test|sanitize|bench|fuzz [seconds]|docs]" >&2
    exit 2
    ;;
esac
