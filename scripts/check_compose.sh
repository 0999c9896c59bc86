#!/usr/bin/env bash
# Validate docker-compose.yml without a Docker engine: Debian's docker-compose (Compose v1) parses it
# and rejects keys it does not know, so the file stays valid for both v1 and v2.
set -eu
cd "$(dirname "$0")/.."
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "docker-compose is missing; installing Debian's docker-compose package"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
fi
# The services read .env (cp .env.example .env); validate against the example in a scratch copy so
# that a developer's real .env is neither needed nor touched.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp docker-compose.yml "$scratch/docker-compose.yml"
cp .env.example "$scratch/.env"
docker-compose --project-directory "$scratch" -f "$scratch/docker-compose.yml" config -q
echo "compose: docker-compose.yml is valid"
