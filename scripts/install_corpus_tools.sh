#!/usr/bin/env bash
# Debian tools the corpus builder renders with: speech synthesisers, a MIDI synthesiser, GM soundfonts
# and Hydrogen drum kits. Needs root; CI runs it so the corpus and classifier tests never skip.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends \
  espeak-ng festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts festvox-italp16k \
  fluidsynth fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont csound-soundfont hydrogen-data >/dev/null
