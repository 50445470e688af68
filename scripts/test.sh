#!/usr/bin/env bash
# Runs every check and test of the workspace, as CI does. Sets up what it needs on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# The dashboard test drives a real headless Chromium (the distribution's package).
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium (dashboard browser test)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi
fi
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== postgresql (a throwaway server for the PostgreSQL store tests)"
eval "$(bash scripts/pg-test-server.sh start)"
trap 'bash scripts/pg-test-server.sh stop' EXIT
echo "== cargo test"
cargo test --workspace
echo "== python"
bash scripts/test-python.sh
echo "== benchmarks (quick mode: each runs briefly, to prove it works; numbers are in the bench docs)"
cargo bench -p hantu-benches -- --quick --warm-up-time 0.2 --measurement-time 0.5 --noplot
cargo bench -p hantu-cli --bench api -- --quick
