#!/usr/bin/env bash
# Builds llama.cpp's llama-server once, offline, from the llama.cpp source node-llama-cpp ships as a
# git bundle (node_modules/node-llama-cpp/llama/gitRelease.bundle): the same llama.cpp as the
# in-process engine. Cached in a git-ignored folder keyed by the bundle and this CPU's flags
# (-DGGML_NATIVE=ON ties the binary to the CPU it was built on); a warm run only checks the stamp.
# About 10 CPU-minutes (measured: 9 min 47 s of CPU on the 2-core CI machine kind).
#   prints the binary's path on its last line of stdout; progress goes to stderr.
#   TOKENSCOPE_LLAMA_SERVER_DIR   cache root (default .vscode-test/llama-server)
#   TOKENSCOPE_BUILD_JOBS         parallel compile jobs (default: number of cores)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${TOKENSCOPE_LLAMA_SERVER_DIR:-$ROOT/.vscode-test/llama-server}"
BUNDLE="$ROOT/node_modules/node-llama-cpp/llama/gitRelease.bundle"
say() { echo "[llama-server] $*" >&2; }

if [ ! -f "$BUNDLE" ]; then
  say "missing $BUNDLE: run npm install first"
  exit 1
fi
CPU_FLAGS="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || uname -m)"
KEY="$( { sha256sum "$BUNDLE" | cut -c1-16; echo "$CPU_FLAGS" | sha256sum | cut -c1-8; } | tr -d ' -' | tr '\n' '-')"
KEY="${KEY%-}"
OUT="$CACHE/$KEY"
BIN="$OUT/bin/llama-server"
if [ -x "$BIN" ] && [ -f "$OUT/.built" ]; then
  echo "$BIN"
  exit 0
fi

for tool in cmake g++ git; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
      say "need $tool to build llama-server: apt-get install -y cmake g++ git"
      exit 1
    fi
    say "installing Debian packages: cmake g++ git"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake g++ git >/dev/null
    break
  fi
done

mkdir -p "$CACHE"
# one build at a time (a second caller waits for the first's result)
exec 9>"$CACHE/.lock"
flock 9
if [ -x "$BIN" ] && [ -f "$OUT/.built" ]; then
  echo "$BIN"
  exit 0
fi

SRC="$CACHE/src-$KEY"
if [ ! -f "$SRC/CMakeLists.txt" ]; then
  say "extracting llama.cpp source from node-llama-cpp's bundle"
  rm -rf "$SRC"
  git -c advice.detachedHead=false clone -q "$BUNDLE" "$SRC"
fi
JOBS="${TOKENSCOPE_BUILD_JOBS:-$(nproc)}"
say "building llama-server (about 10 CPU-minutes, $JOBS jobs; cached in $OUT)"
# static libraries: one self-contained binary; no curl/openssl (no network features needed)
cmake -S "$SRC" -B "$SRC/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DGGML_NATIVE=ON >"$CACHE/cmake-configure.log" 2>&1 || { say "cmake configure failed: $CACHE/cmake-configure.log"; tail -20 "$CACHE/cmake-configure.log" >&2; exit 1; }
# progress: cmake prints "[ NN%]" per compiled file; show each new tenth (a read loop: awk would
# buffer its input and print everything at the end)
cmake --build "$SRC/build" --target llama-server -j "$JOBS" 2>&1 | tee "$CACHE/cmake-build.log" | {
  last=-1
  while IFS= read -r line; do
    if [[ "$line" =~ ^\[\ *([0-9]+)%\] ]]; then
      p=${BASH_REMATCH[1]}
      if (( p / 10 > last )); then last=$(( p / 10 )); say "build $p%"; fi
    fi
  done
}
if [ "${PIPESTATUS[0]}" != 0 ] || [ ! -x "$SRC/build/bin/llama-server" ]; then
  say "build failed: $CACHE/cmake-build.log"
  tail -30 "$CACHE/cmake-build.log" >&2
  exit 1
fi
mkdir -p "$OUT/bin"
cp "$SRC/build/bin/llama-server" "$BIN"
"$BIN" --version >/dev/null 2>&1 || { say "built binary does not run: $BIN --version"; exit 1; }
touch "$OUT/.built"
# the source and objects are ~1 GB: keep only the binary
rm -rf "$SRC"
say "ready: $BIN"
echo "$BIN"
