#!/usr/bin/env bash
# Checks the docs site in a real browser: renders pages with Debian's headless Chromium and
# fails if a formula is left unrendered (raw TeX delimiters, no MathJax output, a math
# font that did not load from file://) or an image is missing or not a valid SVG.
# Takes a screenshot of every page checked, to look at.
#
# usage: tools/check_docs_browser.sh [--html DIR] [--shots DIR] [PAGE ...]
#   --html DIR    the site (default: build/$WORKBOOK_PRESET/docs/html, preset dev; ./workbook docs)
#   --shots DIR   where the screenshots go (default: DIR/../browser-check)
#   PAGE          page names without .html (default: index glossary explorer_guide ch03_scaling
#                 ch06_self_attention ch12_self_vs_multihead ch13_masking ch14_cross_attention)
# Skipped, with a message and exit status 0, when /usr/bin/chromium is not installed
# (tools/setup.sh installs it where it can: as root or with sudo).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

html=build/${WORKBOOK_PRESET:-dev}/docs/html
shots=""
pages=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --html) html=${2:?--html needs a folder}; shift 2 ;;
    --shots) shots=${2:?--shots needs a folder}; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "check_docs_browser: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *) pages+=("${1%.html}"); shift ;;
  esac
done
[[ ${#pages[@]} -gt 0 ]] || pages=(index glossary explorer_guide ch03_scaling ch06_self_attention
                                   ch12_self_vs_multihead ch13_masking ch14_cross_attention)

chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
  echo "check_docs_browser: SKIPPED: $chromium is not installed (apt-get install chromium)" >&2
  exit 0
fi
if [[ ! -f $html/index.html ]]; then
  echo "check_docs_browser: error: no $html/index.html; build the docs first (./workbook docs)" >&2
  exit 2
fi
html=$(cd "$html" && pwd)
shots=${shots:-$(dirname "$html")/browser-check}
mkdir -p "$shots"

work=$(mktemp -d)
probes=()
cleanup() { rm -rf "$work"; [[ ${#probes[@]} -eq 0 ]] || rm -f "${probes[@]}"; }
trap cleanup EXIT

# Headless, offline, no profile left behind; --no-sandbox only as root (Chromium refuses otherwise).
flags=(--headless --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$work/profile")
[[ $(id -u) -eq 0 ]] && flags+=(--no-sandbox)
browse() { timeout 120 "$chromium" "${flags[@]}" --virtual-time-budget=20000 "$@" 2>/dev/null; }

failures=0
fail() { echo "  FAIL: $*"; failures=$((failures + 1)); }

# The MathJax fonts must be real files in the site (Debian's package may hold symlinks).
font=$html/mathjax/fonts/HTML-CSS/TeX/woff/MathJax_Main-Regular.woff
[[ -f $font && ! -L $font && -s $font ]] || fail "MathJax font $font is missing or a symlink"

declare -A svg_checked=()
for page in "${pages[@]}"; do
  file=$html/$page.html
  echo "$page.html"
  if [[ ! -f $file ]]; then
    fail "no such page: $file"
    continue
  fi
  # A copy of the page that, once MathJax has finished, writes the state of every web font
  # into the page (document.fonts: loaded / unloaded / error), so --dump-dom shows it.
  probe=$html/.browser-check-$$-$page.html
  probes+=("$probe")
  perl -0pe 's{</body>}{<script>
(function () {
  function report() {
    var out = [];
    document.fonts.forEach(function (f) { out.push(f.family.replace(/["\x27]/g, "") + "=" + f.status); });
    var d = document.createElement("pre");
    d.id = "browser-check-fonts";
    d.textContent = "FONTS " + out.join(" ") + " END";
    document.body.appendChild(d);
  }
  var tries = 0, wait = setInterval(function () {  // until MathJax has typeset the page
    if (window.MathJax && MathJax.isReady) {
      clearInterval(wait);
      MathJax.Hub.Queue(function () { document.fonts.ready.then(report); });
    } else if (++tries > 300) {
      clearInterval(wait);
      report();
    }
  }, 50);
})();
</script></body>}' "$file" >"$probe"
  dom=$work/$page.dom
  browse --dump-dom "file://$probe" >"$dom" || true
  if [[ ! -s $dom ]]; then
    fail "Chromium rendered nothing"
    continue
  fi

  # 1) Formulas: every TeX formula on the page became MathJax output, none is left raw.
  formulas=$(grep -o -E '\\\(|\\\[' "$file" | wc -l)
  report=$(perl -0ne '
    my $dom = $_;
    my $tex = () = $dom =~ /<script type="math\/tex[^"]*"/g;
    my $frames = () = $dom =~ /id="MathJax-Element-\d+-Frame"/g;
    (my $text = $dom) =~ s{<(script|style)\b.*?</\1>}{}gs;
    $text =~ s{<[^>]*>}{}g;
    my @raw = $text =~ /(.{0,30}(?:\\\(|\\\[|\\f\$|\\f\[|\\begin\{).{0,30})/g;
    my $errors = () = $text =~ /Math Processing Error/g;
    my ($fonts) = $dom =~ /<pre id="browser-check-fonts">FONTS (.*?) END<\/pre>/s;
    $fonts //= "(no report: the page script did not run)";
    my @bad = grep { /=error$/ } split / /, $fonts;
    my $loaded = grep { /^MathJax.*=loaded$/ } split / /, $fonts;
    print "tex=$tex frames=$frames errors=$errors loaded=$loaded\n";
    print "raw: $_\n" for @raw[0 .. ($#raw < 2 ? $#raw : 2)];
    print "font: $_\n" for @bad;
    print "nofonts: $fonts\n" if $fonts =~ /^\(no report/;
  ' "$dom")
  read -r tex frames errors loaded < <(head -n1 <<<"$report" | sed 's/[a-z]*=//g')
  echo "  formulas: $formulas in the page, $frames typeset by MathJax; math fonts loaded: $loaded"
  while read -r line; do
    case $line in
      raw:*) fail "unrendered TeX: ${line#raw: }" ;;
      font:*) fail "web font did not load: ${line#font: }" ;;
      nofonts:*) fail "no font report: the page's scripts did not finish" ;;
    esac
  done <<<"$report"
  ((errors == 0)) || fail "$errors × [Math Processing Error]"
  if ((formulas > 0)); then
    ((tex > 0 && frames == tex)) || fail "$formulas TeX formulas on the page, $tex math scripts, $frames typeset: MathJax did not run"
    ((loaded > 0)) || fail "no MathJax web font loaded: formulas fall back to other fonts"
  fi

  # 2) Images: every <img src> and <object data> is a file in the site; an SVG must parse.
  mapfile -t images < <(perl -0ne 'print "$1\n" while /<(?:img\b[^>]*?\bsrc|object\b[^>]*?\bdata)="([^"]+)"/g' "$dom" | sort -u)
  shown=0 missing=0
  for image in "${images[@]}"; do
    [[ $image =~ ^(https?:|data:) ]] && continue
    path=$html/${image%%[?#]*}
    if [[ ! -s $path ]]; then
      fail "image $image is missing"
      missing=$((missing + 1))
      continue
    fi
    shown=$((shown + 1))
    if [[ $path == *.svg && -z ${svg_checked[$path]:-} ]]; then
      svg_checked[$path]=1
      if browse --dump-dom "file://$path" | grep -q -i 'parsererror\|This page contains the following errors'; then
        fail "image $image is not a valid SVG for the browser"
      fi
    fi
  done
  echo "  images: $shown present, $missing missing"
  [[ $page =~ ^ch(04|05|06|09|11|12|13|14|16)_ ]] && ! grep -q "${page:0:4}_[a-z0-9_]*\.svg" <<<"${images[*]:-}" &&
    fail "a chapter with attention weights but no heatmap image"

  # 3) A screenshot, to look at.
  browse --window-size=1280,2400 --screenshot="$shots/$page.png" "file://$file" >/dev/null || true
  if [[ -s $shots/$page.png ]]; then echo "  screenshot: $shots/$page.png"; else fail "no screenshot"; fi
done

if ((failures > 0)); then
  echo "check_docs_browser: $failures problem(s)" >&2
  exit 1
fi
echo "check_docs_browser: ${#pages[@]} page(s) render in Chromium: formulas typeset, fonts and images load"
