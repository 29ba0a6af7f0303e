#!/usr/bin/env bash
# Idempotent set-up of everything the project needs on a fresh machine:
# Debian packages (a Java 17 runtime for Spark), the virtualenv, and the
# pinned Python packages from requirements/dev.lock (installed with uv,
# hashes required). Re-running only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
PYTHON=${PYTHON:-python3}
STAMP=$VENV/.setup-stamp

need_java() {
  command -v java >/dev/null 2>&1 || return 0
  # Spark 3.5 (Glue 5.0) runs on Java 17.
  java -version 2>&1 | grep -Eq 'version "17\.' && return 1
  return 0
}

if need_java; then
  echo "setup: installing openjdk-17-jre-headless (Spark needs Java 17)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless
fi

# Tesseract and its English, French and orientation data: the document service's OCR
# (tesserocr loads the traineddata from here; the benchmark runs the CLI beside it).
TESSERACT_PACKAGES="tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra tesseract-ocr-osd"
missing_tesseract=""
for package in $TESSERACT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing_tesseract="$missing_tesseract $package"
done
if [ -n "$missing_tesseract" ]; then
  echo "setup: installing$missing_tesseract (OCR for the document service)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing_tesseract
fi

# The DejaVu fonts that the invoice service's PDFs embed (the package its Lambda image carries, from
# its declaration in config/platform.yaml).
PDF_PACKAGES="fonts-dejavu-core"
missing_pdf=""
for package in $PDF_PACKAGES; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing_pdf="$missing_pdf $package"
done
if [ -n "$missing_pdf" ]; then
  echo "setup: installing$missing_pdf (PDF rendering for the invoice service)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing_pdf
fi

# mmdebstrap builds the Debian root file system of the services' container images without Docker
# (scripts/images.py, make package); skopeo pushes them to ECR at make apply.
IMAGE_TOOLS="mmdebstrap skopeo"
missing_image_tools=""
for package in $IMAGE_TOOLS; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing_image_tools="$missing_image_tools $package"
done
if [ -n "$missing_image_tools" ]; then
  echo "setup: installing$missing_image_tools (container images of the services)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing_image_tools
fi

# Debian's chromium: the console's browser tests drive it with Playwright (never a downloaded browser).
if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
  echo "setup: installing chromium (the console's browser tests)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium
fi

# checkov (the Terraform security scan in `make test`) lives in its own venv:
# its dependency pins would fight the project's.
CHECKOV_VENV=.venv-checkov
checkov_want=$(sha256sum requirements/checkov.lock | cut -d' ' -f1)
if [ ! -f "$CHECKOV_VENV/.setup-stamp" ] || [ "$(cat "$CHECKOV_VENV/.setup-stamp")" != "$checkov_want" ]; then
  echo "setup: installing checkov into $CHECKOV_VENV"
  [ -x "$CHECKOV_VENV/bin/python" ] || "$PYTHON" -m venv "$CHECKOV_VENV"
  echo '*' > "$CHECKOV_VENV/.gitignore"  # keeps git and ruff out of it, as for .venv
  "$CHECKOV_VENV/bin/python" -m pip install -q --disable-pip-version-check --require-hashes -r requirements/checkov.lock
  echo "$checkov_want" > "$CHECKOV_VENV/.setup-stamp"
fi

# npm tools of the checks (asl-validator): package.json + package-lock.json, installed exactly.
if [ -f package-lock.json ]; then
  if ! command -v npm >/dev/null; then
    echo "setup: installing nodejs and npm (the npm tools of the checks)"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
  fi
  npm_want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
  if [ ! -f node_modules/.setup-stamp ] || [ "$(cat node_modules/.setup-stamp)" != "$npm_want" ]; then
    echo "setup: installing the npm tools (npm ci)"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    echo "$npm_want" > node_modules/.setup-stamp
  fi
fi

want=$(cat requirements/bootstrap.txt requirements/dev.lock pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/python" ]; then
  exit 0
fi

echo "setup: creating $VENV and installing the locked dependencies"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --require-hashes -r requirements/bootstrap.txt
# --compile-bytecode: what pip does by default and uv does not. Without .pyc files every
# process compiles its imports from source (boto3 alone: ~0.3 s on 2 cores), which the
# tests, the local platform and the cold-start benchmark would all pay.
"$VENV/bin/uv" pip sync -q --compile-bytecode --python "$VENV/bin/python" --require-hashes requirements/dev.lock
"$VENV/bin/uv" pip install -q --python "$VENV/bin/python" --no-deps -e .
# The Lambda runtime's CPython (3.12): make package compiles the zips' bytecode with it and the
# packaged-artifact tests run the zips under it. Found (pyenv, PATH, LAMBDA_PYTHON, uv) or installed
# with uv; under CI (CI=true) setup fails without one rather than let those tests go unrun.
"$VENV/bin/python" -m scripts.lambda_python --ensure
echo "$want" > "$STAMP"
echo "setup: done"
