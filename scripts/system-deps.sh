#!/usr/bin/env bash
# Debian packages the course uses: the Fashion-MNIST data set, Chromium for the site tests,
# bubblewrap for the grader's sandbox, Nanum Gothic (fonts-nanum) for the Korean words in the
# figures that matplotlib draws, poppler-utils (pdffonts, pdfinfo, pdftotext) for the test of the PDFs. Installs what is missing when run as root on Debian;
# elsewhere it says what to install and goes on (everything but those parts works without them).
set -u
packages="dataset-fashion-mnist chromium chromium-driver bubblewrap fonts-nanum poppler-utils"
missing=""
for p in $packages; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
command -v npm >/dev/null || missing="$missing npm"  # the site's offline JavaScript comes from npm
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing
else
  echo "note: Debian packages not installed:$missing (install them with: sudo apt-get install$missing)" >&2
fi
exit 0
