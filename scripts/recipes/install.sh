#!/usr/bin/env bash
# Installs what test/verifier/recipes.test.ts needs to run the Java and Go token verifiers (recipes/) and npm ci does
# not: Debian's Go toolchain, a JDK (javac; 17 on Debian 12, 21 on Debian 13: the recipe compiles with --release 17)
# and Jackson (the Java recipe's only dependency, as jars in /usr/share/java). The Go recipe needs no module at all.
# Idempotent and non-interactive; run as root (CI is root; elsewhere use sudo).
set -euo pipefail
jackson=/usr/share/java/jackson-databind.jar
if command -v go >/dev/null 2>&1 && command -v javac >/dev/null 2>&1 && [ -f "$jackson" ]; then
  echo "go, javac and Jackson are installed"
  exit 0
fi
packages=(libjackson2-databind-java)
command -v go >/dev/null 2>&1 || packages+=(golang-go)
command -v javac >/dev/null 2>&1 || packages+=(default-jdk-headless)
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"
