#!/usr/bin/env bash
# Sets up a fresh machine for Modsynth: the Debian packages the tests and tools use (installed only
# when missing, and only when we can: root or passwordless sudo), then the npm packages and the build.
# Safe to run again: it does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: sox (measuring audio in tests), liblo-tools (oscsend/oscdump: a real OSC client),
# aubio-tools (pitch analysis), PulseAudio, JACK and PipeWire servers with their recorders (real-time
# output tests). PipeWire comes with its JACK and Pulse interfaces and WirePlumber, installed without
# recommends; never pipewire-alsa or pipewire-audio-client-libraries: they conflict with pulseaudio,
# which apt would then remove. chromium-headless-shell: the browser rack's tests drive it with
# playwright-core (no browser download).
PACKAGES=(sox liblo-tools aubio-tools pulseaudio pulseaudio-utils libasound2-plugins jackd2 jack-capture
  pipewire pipewire-bin pipewire-jack pipewire-pulse wireplumber chromium-headless-shell)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
  fi
  if [ "$SUDO" = "none" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: please install these packages (needs root): ${missing[*]}" >&2
  else
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >/dev/null
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# npm packages, exactly as locked; then compile TypeScript to dist/.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run build --silent
echo "setup: ready (node $(node --version))"
