#!/usr/bin/env bash
# Manual check (not part of `npm test`): real MCP clients see the sidecar's MCP server as connected.
# - Gemini CLI (@google/gemini-cli, runs on Node 20): `gemini mcp list` over Streamable HTTP (httpUrl)
#   and over stdio (`cco orchestration mcp`), with configs written by `cco orchestration mcp-config`.
# - Claude Code (@anthropic-ai/claude-code) is checked only when a `claude` binary runs here (current
#   releases need Node 22).
# Needs: a built tree (`npm run build`), network access to npm the first time (Gemini CLI is installed
# into $GEMINI_PREFIX, default /tmp/cco-gemini-check). Starts its own sidecar on a free port with
# temporary storage and project dirs and stops it afterwards. Exit 0 when every checked client connects.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cco="node $here/bin/run.js"
prefix="${GEMINI_PREFIX:-/tmp/cco-gemini-check}"
# Not under /tmp: Gemini CLI refuses a settings file below a group- or world-writable directory.
work="$(mktemp -d "$HOME/.cco-mcp-check.XXXXXX")"
export CCO_SIDECAR_STORAGE="$work/storage"
trap '$cco orchestration stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

mkdir -p "$work/project" "$work/home"
git -C "$work/project" init -q
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
$cco orchestration start --detach --port "$port" --project "$work/project" --no-watch >/dev/null
echo "sidecar on 127.0.0.1:$port"

if [ ! -x "$prefix/node_modules/.bin/gemini" ]; then
  npm install --no-audit --no-fund --prefix "$prefix" @google/gemini-cli >/dev/null
fi
failed=0
for transport in http stdio; do
  settings="$work/gemini-$transport.json"
  # As the gemini agent preset does: no folder-trust prompt in a headless run (mcp-config keeps it).
  echo '{"security": {"folderTrust": {"enabled": false}}}' > "$settings"
  $cco orchestration mcp-config --client gemini --agent-type python-specialist --issue ISSUE-1 \
    --transport "$transport" --write --file "$settings" >/dev/null
  # The system settings layer, so the check does not depend on trusting the project folder.
  out="$(cd "$work/project" && HOME="$work/home" GEMINI_CLI_SYSTEM_SETTINGS_PATH="$settings" \
    "$prefix/node_modules/.bin/gemini" mcp list 2>&1 || true)"
  echo "gemini ($transport): $out" | grep -i "cco" || echo "gemini ($transport): $out"
  if ! grep -qi "cco.*connected" <<<"$out" || grep -qi "disconnected" <<<"$out"; then failed=1; fi
done

if command -v claude >/dev/null && claude --version >/dev/null 2>&1; then
  $cco orchestration mcp-config --client claude --agent-type python-specialist --write --project "$work/project" >/dev/null
  out="$(cd "$work/project" && HOME="$work/home" claude mcp list 2>&1 || true)"
  echo "claude: $out"
  grep -qi "cco.*connected" <<<"$out" || failed=1
else
  echo "claude: not runnable here (current @anthropic-ai/claude-code needs Node 22); skipped"
fi
exit "$failed"
