#!/usr/bin/env bash
# jixiao set-up: Debian packages where missing, the virtual env .venv/, the Python packages;
# then the main job (unless --install-only).  Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

install_only=0
[ "${1:-}" = "--install-only" ] && install_only=1

# Debian packages the project needs at run or test time: CJK fonts, Pango and HarfBuzz-Subset (CJK
# font subsetting in 0.3 s instead of 10 s) for the PDF writer
# (WeasyPrint), LibreOffice for .doc files and the tests that open our files in a real office
# suite, poppler-utils (pdftoppm, pdffonts) for the rendering tests, Chromium for the web system's
# browser test (Playwright drives /usr/bin/chromium; it cannot download its own browser here).
debian_packages=(fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 libreoffice-calc libreoffice-writer poppler-utils chromium)
missing=()
for package in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "安装 Debian 软件包：${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "创建虚拟环境 .venv/"
  "$python" -m venv .venv
fi
stamp=.venv/.jixiao-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "安装 Python 软件包"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c constraints.txt -e ".[dev]"
  touch "$stamp"
fi
# Byte-compile the sources once: where PYTHONDONTWRITEBYTECODE is set, Python would otherwise
# compile them on every start of the command (a quarter of a second).
.venv/bin/python -m compileall -q src >/dev/null

if [ "$install_only" -eq 0 ]; then
  echo
  echo "安装完成。示例：校验一份真实的目标表（tests/fixtures/seed.txt）："
  echo
  .venv/bin/jixiao check tests/fixtures/seed.txt || true
  echo
  echo "用法：.venv/bin/jixiao --help"
  echo
  echo "启动网页系统（示例城市，数据在 jixiao-data/；Ctrl-C 停止）："
  exec .venv/bin/jixiao serve --demo --port "${JIXIAO_PORT:-8000}"
fi
