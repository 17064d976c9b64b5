#!/usr/bin/env bash
# Make the optional peer @tensorflow/tfjs-node 4.22.0 work on a machine whose network does not
# reach the host its install script downloads libtensorflow from (npm install fails there).
# On an ordinary machine `npm install @tensorflow/tfjs-node@4.22.0` works and this is not needed.
#
# What it does (each step is skipped when its result is already there, so it is idempotent):
#   1. installs tfjs-node with --ignore-scripts into .tfjs-node/ (a prefix inside the project,
#      never saved to package.json or package-lock.json), and deletes that prefix's own copies of
#      @tensorflow/tfjs*: tfjs-node then resolves them from the project's node_modules, so it
#      registers its backend into the same @tensorflow/tfjs instance nanhunt imports;
#   2. downloads the tensorflow-cpu 2.21.0 wheel with pip into a cache directory
#      ($NANHUNT_TF_WHEEL_DIR, default ~/.cache/nanhunt/tfwheel);
#   3. puts its TensorFlow C libraries (stripped) and C-API headers into tfjs-node's deps/;
#   4. builds the N-API addon against the local node headers (no download);
#   5. links node_modules/@tensorflow/tfjs-node to it (`npm ci` removes the link: run this again);
#   6. checks that it loads, reports backend 'tensorflow' and computes exp([1, 2]).
# Background: issue 20 (the node backend on these machines).
set -euo pipefail

TFJS_NODE_VERSION=4.22.0
TF_WHEEL_VERSION=2.21.0
PROJECT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX="$PROJECT_DIR/.tfjs-node"
TFN="$PREFIX/node_modules/@tensorflow/tfjs-node"
LINK="$PROJECT_DIR/node_modules/@tensorflow/tfjs-node"
WHEEL_DIR=${NANHUNT_TF_WHEEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nanhunt/tfwheel}

say() { echo "setup-tfjs-node: $*"; }
die() { echo "setup-tfjs-node: error: $*" >&2; exit 1; }
T_ALL=$EPOCHREALTIME
T_STEP=$EPOCHREALTIME
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }'; }
done_step() { say "$1 ($(elapsed "$T_STEP"))"; T_STEP=$EPOCHREALTIME; }

cd "$PROJECT_DIR"

# Loads @tensorflow/tfjs-node from the project, as nanhunt does, and checks: backend 'tensorflow'
# in the project's own @tensorflow/tfjs, one copy of tfjs and tfjs-core, exp([1, 2]) right, and no
# "already registered" warnings. Prints one line; exits non-zero when something is wrong.
VERIFY_JS='
try {
  const warnings = [];
  console.warn = (...a) => warnings.push(a.join(" "));
  const t0 = Date.now();
  const tfn = require("@tensorflow/tfjs-node");
  const tf = require("@tensorflow/tfjs");
  const loadMs = Date.now() - t0;
  const copies = Object.keys(require.cache).filter((k) => /[\\/]@tensorflow[\\/]tfjs(-core)?[\\/]dist[\\/]tf(-core)?\.node\.js$/.test(k));
  const problems = [];
  if (tf.getBackend() !== "tensorflow") problems.push(`the backend is ${tf.getBackend()}, not tensorflow`);
  if (copies.length !== 2) problems.push(`want one copy each of @tensorflow/tfjs and tfjs-core, got: ${copies.join(", ")}`);
  if (warnings.length) problems.push(`${warnings.length} warnings, e.g. ${warnings[0]}`);
  const x = tf.tensor([1, 2]);
  const y = tf.exp(x);
  const v = Array.from(y.dataSync());
  tf.dispose([x, y]);
  if (Math.abs(v[0] - Math.E) > 1e-6 || Math.abs(v[1] - Math.exp(2)) > 1e-5) problems.push(`exp([1, 2]) = ${v}`);
  if (problems.length) { console.log(problems.join("; ")); process.exit(1); }
  console.log(`@tensorflow/tfjs-node ${tfn.version["tfjs-node"]} works: backend tensorflow, TensorFlow ${tf.backend().binding.TF_Version}, loaded in ${loadMs} ms`);
} catch (e) {
  console.log(String(e && e.message || e).split("\n")[0]);
  process.exit(1);
}
'
# TensorFlow writes its info lines to stderr; the one line that matters is on stdout.
verify() { TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2} node -e "$VERIFY_JS" 2>/dev/null || { local rc=$?; [ $rc -eq 1 ] || echo "node exited with status $rc"; return $rc; }; }

# 0. Already working (an ordinary `npm install @tensorflow/tfjs-node`, or an earlier run): done.
if [ -e "$LINK" ] && out=$(verify) ; then
  echo "$out (nothing to do)"
  exit 0
fi

[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] ||
  die "only Linux x86-64 is supported (the tensorflow-cpu wheel); elsewhere install @tensorflow/tfjs-node@$TFJS_NODE_VERSION with npm"
[ -d "$PROJECT_DIR/node_modules/@tensorflow/tfjs" ] || die "no node_modules/@tensorflow/tfjs in $PROJECT_DIR: run npm ci first"

# What is missing, and so which tools are needed: checked before any work starts.
WHL=$(ls "$WHEEL_DIR"/tensorflow_cpu-"$TF_WHEEL_VERSION"-*.whl 2>/dev/null | head -1 || true)
ADDON="$TFN/lib/napi-v8/tfjs_binding.node"
STRIP=$(command -v strip || true)
stamp() { echo "$(basename "$1")${STRIP:+ stripped}"; }  # what deps/ was made from
need_install=0 need_wheel=0 need_deps=0 need_build=0
[ "$(node -p "try { require('$TFN/package.json').version } catch { '' }")" = "$TFJS_NODE_VERSION" ] || need_install=1
case "$([ $need_install = 1 ] || cat "$TFN/deps/.nanhunt-stamp" 2>/dev/null || true)" in
  $(stamp "tensorflow_cpu-$TF_WHEEL_VERSION-*.whl")) ;;  # unquoted: a pattern, matching the wheel deps/ was made from
  *) need_deps=1 ;;
esac
[ $need_deps = 1 ] && [ -z "$WHL" ] && need_wheel=1
[ $need_deps = 0 ] && [ -f "$ADDON" ] && [ "$ADDON" -nt "$TFN/deps/.nanhunt-stamp" ] || need_build=1
PIP=()
if [ $need_wheel = 1 ]; then
  if command -v pip >/dev/null; then PIP=(pip)
  elif command -v pip3 >/dev/null; then PIP=(pip3)
  elif command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; then PIP=(python3 -m pip)
  else die "pip not found (needed once to download the tensorflow-cpu==$TF_WHEEL_VERSION wheel into $WHEEL_DIR; install python3-pip)"
  fi
fi
if [ $need_deps = 1 ]; then
  command -v unzip >/dev/null || die "unzip not found (needed to extract the TensorFlow libraries from the wheel; install unzip)"
fi
if [ $need_build = 1 ]; then
  command -v g++ >/dev/null || die "g++ not found (needed to build the tfjs-node addon; install g++, e.g. build-essential)"
  command -v make >/dev/null || die "make not found (needed to build the tfjs-node addon; install make, e.g. build-essential)"
  command -v python3 >/dev/null || die "python3 not found (node-gyp needs it to build the tfjs-node addon)"
  NODEDIR=${NANHUNT_NODEDIR:-$(node -p "require('path').resolve(process.execPath, '../..')")}
  [ -f "$NODEDIR/include/node/node_api.h" ] ||
    die "node headers not found in $NODEDIR/include/node (install them, e.g. Debian's nodejs headers, or set NANHUNT_NODEDIR)"
  NODE_GYP="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js"
  [ -f "$NODE_GYP" ] || NODE_GYP=$(command -v node-gyp || true)
  [ -n "$NODE_GYP" ] || die "node-gyp not found (neither npm's bundled copy nor one on PATH)"
fi

# 1. tfjs-node in its own prefix, without its install script
if [ $need_install = 1 ]; then
  rm -rf "$PREFIX"
  mkdir -p "$PREFIX"
  printf '{\n  "private": true,\n  "description": "built by scripts/setup-tfjs-node.sh; not part of the project",\n  "dependencies": { "@tensorflow/tfjs-node": "%s" }\n}\n' "$TFJS_NODE_VERSION" >"$PREFIX/package.json"
  (cd "$PREFIX" && npm install --ignore-scripts --no-package-lock --no-audit --no-fund --loglevel=error >/dev/null) ||
    die "npm install --ignore-scripts @tensorflow/tfjs-node@$TFJS_NODE_VERSION into $PREFIX failed"
  done_step "installed @tensorflow/tfjs-node@$TFJS_NODE_VERSION (--ignore-scripts) into .tfjs-node/"
fi
# tfjs-node must use the project's @tensorflow/tfjs (one engine, one kernel registry), so the
# prefix keeps no copy of it: require() walks up from .tfjs-node/ to the project's node_modules.
for d in "$PREFIX"/node_modules/@tensorflow/*; do [ "$d" = "$TFN" ] || rm -rf "$d"; done
[ -z "$(find "$PREFIX/node_modules" -regex '.*/node_modules/@tensorflow/tfjs[^/]*/package\.json' ! -path "$TFN/package.json" -print -quit)" ] ||
  die "could not remove the prefix's own copies of @tensorflow/tfjs"

# 2. the tensorflow-cpu wheel (about 270 MB), cached
if [ $need_wheel = 1 ]; then
  say "downloading the tensorflow-cpu==$TF_WHEEL_VERSION wheel (about 270 MB) with pip"
  mkdir -p "$WHEEL_DIR"
  TMPW=$(mktemp -d "$WHEEL_DIR/.download.XXXXXX")
  "${PIP[@]}" download -q --no-deps --disable-pip-version-check "tensorflow-cpu==$TF_WHEEL_VERSION" -d "$TMPW" ||
    { rm -rf "$TMPW"; die "pip download tensorflow-cpu==$TF_WHEEL_VERSION failed"; }
  mv "$TMPW"/tensorflow_cpu-"$TF_WHEEL_VERSION"-*.whl "$WHEEL_DIR"/
  rm -rf "$TMPW"
  WHL=$(ls "$WHEEL_DIR"/tensorflow_cpu-"$TF_WHEEL_VERSION"-*.whl | head -1)
  done_step "downloaded $(basename "$WHL") into $WHEEL_DIR"
fi

# 3. deps/: the shared libraries and the C-API headers, in the layout binding.gyp expects
if [ $need_deps = 1 ]; then
  rm -rf "$TFN/deps" "$TFN/lib"
  mkdir -p "$TFN/deps/lib" "$TFN/deps/include"
  TMPX=$(mktemp -d)
  trap 'rm -rf "$TMPX"' EXIT
  unzip -q -o "$WHL" 'tensorflow/libtensorflow_cc.so.2' 'tensorflow/libtensorflow_framework.so.2' \
    'tensorflow/include/tensorflow/c/*' 'tensorflow/include/tensorflow/core/platform/ctstring*' \
    'tensorflow/include/tsl/platform/ctstring*' 'tensorflow/include/xla/tsl/c/*' -d "$TMPX" ||
    die "could not extract the TensorFlow libraries from $WHL (a broken download? delete it and run again)"
  mv "$TMPX"/tensorflow/libtensorflow_cc.so.2 "$TMPX"/tensorflow/libtensorflow_framework.so.2 "$TFN/deps/lib/"
  cp -r "$TMPX"/tensorflow/include/. "$TFN/deps/include/"
  rm -rf "$TMPX"
  trap - EXIT
  # saves about 200 MB; the results are the same (tested by the recipe)
  [ -z "$STRIP" ] || "$STRIP" --strip-unneeded "$TFN/deps/lib/libtensorflow_cc.so.2" "$TFN/deps/lib/libtensorflow_framework.so.2"
  ln -sf libtensorflow_cc.so.2 "$TFN/deps/lib/libtensorflow.so"                     # for -ltensorflow
  ln -sf libtensorflow_framework.so.2 "$TFN/deps/lib/libtensorflow_framework.so"    # for -ltensorflow_framework
  ln -sf libtensorflow_cc.so.2 "$TFN/deps/lib/libtensorflow.so.2.9.1"               # tfjs-node's "libtensorflow present" marker
  stamp "$WHL" >"$TFN/deps/.nanhunt-stamp"
  done_step "extracted TensorFlow $TF_WHEEL_VERSION${STRIP:+ (stripped)} into .tfjs-node/.../tfjs-node/deps ($(du -sh "$TFN/deps" | cut -f1))"
fi

# 4. the N-API addon, built against the local node headers; node-pre-gyp downloads nothing
if [ $need_build = 1 ]; then
  LOG="$PREFIX/build.log"
  (cd "$TFN" && JOBS=max npm_config_nodedir="$NODEDIR" npm_config_node_gyp="$NODE_GYP" \
    node ../../@mapbox/node-pre-gyp/bin/node-pre-gyp install --build-from-source >"$LOG" 2>&1) ||
    die "building the tfjs-node addon failed; see $LOG"
  [ -f "$ADDON" ] || die "the build did not produce $ADDON; see $LOG"
  done_step "built the tfjs-node addon against $NODEDIR/include/node"
fi

# 5. node_modules/@tensorflow/tfjs-node -> .tfjs-node/node_modules/@tensorflow/tfjs-node
if [ "$(readlink "$LINK" 2>/dev/null || true)" != "../../.tfjs-node/node_modules/@tensorflow/tfjs-node" ]; then
  rm -rf "$LINK"
  ln -s ../../.tfjs-node/node_modules/@tensorflow/tfjs-node "$LINK"
  done_step "linked node_modules/@tensorflow/tfjs-node to .tfjs-node/"
fi

# 6. check
out=$(verify) || die "tfjs-node was set up but does not work: $out"
done_step "$out"
say "done in $(elapsed "$T_ALL")"
