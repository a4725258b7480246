#!/usr/bin/python3
"""Checks the attention explorer (`./workbook view DIR`) by clicking through it in a real
browser: Debian's headless Chromium driven by chromedriver and python3-selenium.

It writes three dumps (chapter 11's --dump, a Part VI folder of layers and checkpoints made
by tests/explorer/make_layer_dump.cpp, and a copy of a module exported from PyTorch with a
fully masked row), runs workbook_view on each, opens each page from
file://, clicks a head toggle, hovers over a token, moves the training slider, opens the model
view and "why this score", and asserts what is drawn against the .npy files read here with
numpy: the number of lines and their opacities, the darkest cell of a heatmap, the blocked
cells, the score of one query and key. Any console error fails it. A screenshot of each view
is written for a person to look at. With --docs it also checks the explorers embedded in the
docs pages.

usage: tools/check_explorer_browser.py [--build build/dev] [--shots DIR] [--docs HTML_DIR]
Exit status: 0 passed, 1 a check failed, 2 could not run (no Chromium, chromedriver or
selenium: it says which package to install).
"""
import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")

try:
    import numpy as np
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select
except ImportError as e:  # the packages are Debian's: python3-selenium, python3-numpy
    print(f"check_explorer_browser: cannot run: {e} (apt-get install python3-selenium python3-numpy)",
          file=sys.stderr)
    sys.exit(2)

failures = []


def check(ok, what):
    """Records one assertion: printed as ok or FAIL."""
    print(("  ok    " if ok else "  FAIL  ") + what)
    if not ok:
        failures.append(what)


def browser(profile):
    """Headless Chromium, offline, with a fresh profile; console messages are kept."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--hide-scrollbars", f"--user-data-dir={profile}", "--window-size=1280,1000"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def console_errors(driver, page):
    """Fails on any console message of level SEVERE (errors, uncaught exceptions)."""
    errors = [m["message"] for m in driver.get_log("browser") if m["level"] == "SEVERE"]
    check(not errors, f"{page}: no console errors" + (f" (got {errors[:3]})" if errors else ""))


def lines(driver, selector="line.attn"):
    """The drawn lines: (head, query, key, opacity) for each."""
    return [(int(e.get_attribute("data-head")), int(e.get_attribute("data-query")),
             int(e.get_attribute("data-key")), float(e.get_attribute("stroke-opacity")))
            for e in driver.find_elements(By.CSS_SELECTOR, "#head-lines " + selector)]


def opacities_match(drawn, weights):
    """Every drawn line's opacity equals weights[h, i, j] to 1e-6 (the page keeps 7 digits)."""
    return all(abs(o - weights[h, i, j]) <= 1e-6 for h, i, j, o in drawn)


def token(driver, side, index):
    return driver.find_element(By.CSS_SELECTOR, f'.token[data-side="{side}"][data-index="{index}"]')


def hover(driver, element):
    ActionChains(driver).move_to_element(element).perform()


def away(driver):
    """Moves the pointer off every token (onto the page title)."""
    hover(driver, driver.find_element(By.TAG_NAME, "h1"))


def tab(driver, name):
    driver.find_element(By.ID, "tab-" + name).click()


def shot(driver, shots, name):
    path = shots / f"{name}.png"
    driver.save_screenshot(str(path))
    print(f"  screenshot {path}")


def luminance(fill):
    """Relative lightness of an 'rgb(r,g,b)' fill, for finding the darkest cell."""
    r, g, b = (int(x) for x in fill[fill.index("(") + 1:fill.index(")")].split(","))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def darkest_cell(driver, map_index, head):
    """(query, key) of the darkest unblocked cell of a model-view tile."""
    cells = driver.find_elements(By.CSS_SELECTOR,
                                 f'.tile[data-map="{map_index}"][data-head="{head}"] rect.cell:not(.blocked)')
    best = min(cells, key=lambda c: luminance(c.get_attribute("fill")))
    return int(best.get_attribute("data-query")), int(best.get_attribute("data-key"))


def why_score(driver):
    """The score printed by "why this score": the number after the last '='."""
    return float(driver.find_element(By.ID, "why-score").text.rsplit("=", 1)[1])


def check_chapter11(driver, dump, shots):
    """Chapter 11's dump: 8 heads, no mask; Q_heads and K_heads for "why this score"."""
    print(f"chapter 11: {dump}/explorer.html")
    W = np.load(dump / "weights.npy")          # (H, L, S)
    Qh, Kh = np.load(dump / "Q_heads.npy"), np.load(dump / "K_heads.npy")
    H, L, S = W.shape
    driver.get((dump / "explorer.html").as_uri())
    drawn = lines(driver)
    check(len(drawn) == H * L * S, f"head view: all {H} heads drawn, {H * L * S} lines (got {len(drawn)})")
    check(opacities_match(drawn, W), "head view: every line's opacity is its weight in weights.npy")
    shot(driver, shots, "ch11-head-view")

    driver.find_element(By.CSS_SELECTOR, '.head-toggle[data-head="0"]').click()
    drawn = lines(driver)
    check(len(drawn) == (H - 1) * L * S and all(h != 0 for h, *_ in drawn),
          f"head toggle: head 0 off leaves {(H - 1) * L * S} lines, none of head 0 (got {len(drawn)})")

    hover(driver, token(driver, "q", 2))
    drawn = lines(driver)
    check(len(drawn) == (H - 1) * S and all(i == 2 for _, i, _, _ in drawn),
          f"hover query 2: its row only, {(H - 1) * S} lines (got {len(drawn)})")
    check(opacities_match(drawn, W), "hover query 2: opacities equal weights[h, 2, :]")
    cells = driver.find_elements(By.CSS_SELECTOR, "#numbers-table td[data-weight]")
    shown = [float(c.text) for c in cells]
    expected = [W[h, 2, j] for h in range(1, H) for j in range(S)]
    check(len(shown) == len(expected) and all(abs(a - b) <= 5e-5 for a, b in zip(shown, expected)),
          "hover query 2: the numbers table shows weights[1:, 2, :] to 4 decimals")
    shot(driver, shots, "ch11-head-view-query2")
    away(driver)
    check(len(lines(driver)) == (H - 1) * L * S, "pointer away: every line of the shown heads again")

    # the keyboard alone: Tab from the "all heads" button reaches query 0; Enter keeps it selected
    driver.find_element(By.CSS_SELECTOR, ".head-all").click()
    ActionChains(driver).send_keys(Keys.TAB).perform()
    focused = driver.switch_to.active_element
    check(focused.get_attribute("data-side") == "q" and focused.get_attribute("data-index") == "0",
          "keyboard: Tab after the head buttons focuses query 0")
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    away(driver)
    drawn = lines(driver)
    check(len(drawn) == H * S and all(i == 0 for _, i, _, _ in drawn) and
          token(driver, "q", 0).get_attribute("aria-pressed") == "true",
          f"keyboard: Enter keeps query 0 selected ({H * S} lines, with the pointer away)")
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    check(token(driver, "q", 0).get_attribute("aria-pressed") == "false", "keyboard: Enter again releases it")
    driver.find_element(By.CSS_SELECTOR, '.head-toggle[data-head="0"]').click()  # head 0 off again

    tab(driver, "model")
    tiles = driver.find_elements(By.CSS_SELECTOR, ".tile")
    check(len(tiles) == H + 1, f"model view: {H} tiles for weights and 1 for weights_mean (got {len(tiles)})")
    h = 5
    want = np.unravel_index(np.argmax(W[h]), W[h].shape)
    check(darkest_cell(driver, 0, h) == tuple(int(x) for x in want),
          f"model view: head {h}'s darkest cell is weights.npy's largest, {tuple(int(x) for x in want)}")
    shot(driver, shots, "ch11-model-view")
    driver.find_element(By.CSS_SELECTOR, f'.tile[data-map="0"][data-head="{h}"]').click()
    check(driver.find_element(By.ID, "head-view").is_displayed(), "model view: a click opens the head view")
    drawn = lines(driver)
    check(len(drawn) == L * S and all(x == h for x, *_ in drawn), f"... with head {h} alone, {L * S} lines")

    tab(driver, "why")
    Select(driver.find_element(By.ID, "why-query")).select_by_value("1")
    Select(driver.find_element(By.ID, "why-key")).select_by_value("3")
    score = float(Qh[h, 1] @ Kh[h, 3] / math.sqrt(Qh.shape[2]))
    check(abs(why_score(driver) - score) <= 5e-5,
          f"why this score: head {h}, query 1, key 3: score {score:.4f} = q·k/√d_k from Q_heads, K_heads")
    rows = driver.find_elements(By.CSS_SELECTOR, "#why-terms tr")
    check(len(rows) == Qh.shape[2] + 1, f"why this score: {Qh.shape[2]} terms of q × k")
    check("agree" in driver.find_element(By.ID, "why-check").get_attribute("class"),
          "why this score: the softmax of the scores gives weights.npy's weight")
    shot(driver, shots, "ch11-why-this-score")

    driver.set_window_size(390, 844)
    tab(driver, "head")
    wide = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    check(wide <= 1, f"phone width (390 px): nothing wider than the window (overflow {wide} px)")
    shot(driver, shots, "ch11-phone-head-view")
    tab(driver, "model")
    shot(driver, shots, "ch11-phone-model-view")
    driver.set_window_size(1280, 1000)
    console_errors(driver, "chapter 11")


def check_layers(driver, dump, shots):
    """A Part VI dump: layers with masks (one row fully masked), checkpoints, projections."""
    print(f"layers and checkpoints: {dump}/explorer.html")
    steps = sorted((dump / "checkpoints").iterdir())
    frames = [*steps, dump]                      # the slider: checkpoints in order, then the final one
    W = lambda frame, layer: np.load(frame / f"layer{layer}" / "weights.npy")
    driver.get((dump / "explorer.html").as_uri())
    slider = driver.find_element(By.ID, "step")
    check(slider.is_displayed() and slider.get_attribute("max") == str(len(frames) - 1),
          f"training slider over {len(frames)} checkpoints")
    check(driver.find_element(By.ID, "step-name").text == "final", "the slider starts at the final weights")

    slider.send_keys(Keys.HOME)
    check(driver.find_element(By.ID, "step-name").text == "step 0", "Home moves the slider to step 0")
    w0 = W(frames[0], 0)
    H, L, S = w0.shape
    blocked = np.load(frames[0] / "layer0" / "attn_mask.npy").astype(bool)  # causal: True above the diagonal
    hover(driver, token(driver, "q", 2))
    drawn = lines(driver)
    check(len(drawn) == H * 3 and opacities_match(drawn, w0),
          f"step 0, layer 0, query 2: {H * 3} lines (keys 0-2, the causal mask blocks 3-5), opacities = weights")
    dashed = driver.find_elements(By.CSS_SELECTOR, "#head-lines line.blocked")
    check(len(dashed) == H * int(blocked[2].sum()), f"... and {H * int(blocked[2].sum())} blocked cells drawn dashed")
    struck = driver.find_elements(By.CSS_SELECTOR, ".token.blocked-key")
    check(len(struck) == int(blocked[2].sum()), "... and the blocked keys struck through")
    shot(driver, shots, "layers-step0-head-view-query2")
    away(driver)

    slider.send_keys(Keys.ARROW_RIGHT)
    check(driver.find_element(By.ID, "step-name").text == "step 50", "→ moves the slider to step 50")
    hover(driver, token(driver, "q", 4))
    drawn = lines(driver)
    check(len(drawn) == H * 5 and opacities_match(drawn, W(frames[1], 0)),
          "step 50, query 4: the lines redrawn with step 50's weights")
    away(driver)

    Select(driver.find_element(By.ID, "head-map")).select_by_value("1")
    hover(driver, token(driver, "q", 2))
    check(len(lines(driver)) == 0, "layer 1, query 2 (fully masked): no line")
    nans = driver.find_elements(By.CSS_SELECTOR, "#numbers-table td.blocked")
    check(len(nans) == H * S, f"... its numbers table: {H * S} blocked cells")
    check("fully masked row" in driver.find_element(By.ID, "row-numbers").text, "... and it says: a fully masked row")
    shot(driver, shots, "layers-fully-masked-row")
    away(driver)

    tab(driver, "model")
    hatched = driver.find_elements(By.CSS_SELECTOR, "rect.cell.blocked")
    mask1 = np.load(frames[1] / "layer1" / "attn_mask.npy")
    want = H * int(np.load(frames[1] / "layer0" / "attn_mask.npy").astype(bool).sum()) + H * int(np.isinf(mask1).sum())
    check(len(hatched) == want, f"model view: {want} cells hatched as blocked (the masks' blocked cells)")
    w = W(frames[1], 0)
    want_cell = tuple(int(x) for x in np.unravel_index(np.argmax(np.where(blocked, -1, w[1])), w[1].shape))
    check(darkest_cell(driver, 0, 1) == want_cell, f"model view at step 50: layer 0 head 1's darkest cell is {want_cell}")
    shot(driver, shots, "layers-model-view")
    driver.find_element(By.ID, "step").send_keys(Keys.END)
    w = W(frames[-1], 0)
    want_cell = tuple(int(x) for x in np.unravel_index(np.argmax(np.where(blocked, -1, w[1])), w[1].shape))
    check(darkest_cell(driver, 0, 1) == want_cell, f"slider to the end: the model view redrawn, darkest cell {want_cell}")

    tab(driver, "why")
    Select(driver.find_element(By.ID, "why-map")).select_by_value("0")
    Select(driver.find_element(By.ID, "why-head")).select_by_value("1")
    Select(driver.find_element(By.ID, "why-query")).select_by_value("4")
    Select(driver.find_element(By.ID, "why-key")).select_by_value("2")
    layer = dump / "layer0"
    x, Win, b = np.load(layer / "query.npy"), np.load(layer / "in_proj_weight.npy"), np.load(layer / "in_proj_bias.npy")
    E = x.shape[1]
    d = E // H
    Q, K = x @ Win[:E].T + b[:E], x @ Win[E:2 * E].T + b[E:2 * E]
    score = float(Q[4, d:2 * d] @ K[2, d:2 * d] / math.sqrt(d))
    check(abs(why_score(driver) - score) <= 5e-5,
          f"why this score from query.npy and in_proj_weight.npy: head 1, query 4, key 2: {score:.4f}")
    check("agree" in driver.find_element(By.ID, "why-check").get_attribute("class"),
          "why this score: its softmax gives weights.npy's weight")
    shot(driver, shots, "layers-why-this-score")
    driver.set_window_size(390, 844)
    wide = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    check(wide <= 1, f"phone width (390 px), why this score: nothing wider than the window (overflow {wide} px)")
    shot(driver, shots, "layers-phone-why-this-score")
    tab(driver, "head")
    shot(driver, shots, "layers-phone-head-view")
    driver.set_window_size(1280, 1000)
    console_errors(driver, "layers and checkpoints")


def check_pytorch_module(driver, dump, shots):
    """A module exported from PyTorch (tests/fixtures/multihead_attention/fully_masked): a batch
    of 2 with a causal bool mask and a key padding mask that fully masks sample 1's query 0."""
    print(f"PyTorch's fully masked batch: {dump}/explorer.html")
    W = np.load(dump / "weights.npy")                              # (B, H, L, S)
    B, H, L, S = W.shape
    blocked = np.load(dump / "attn_mask.npy")[None] | np.load(dump / "key_padding_mask.npy")[:, None, :]  # (B, L, S)
    driver.get((dump / "explorer.html").as_uri())
    Select(driver.find_element(By.ID, "head-map")).select_by_value("1")   # weights · sample 1
    hover(driver, token(driver, "q", 2))
    drawn = lines(driver)
    allowed = int((~blocked[1, 2]).sum())
    check(len(drawn) == H * allowed and all(abs(o - W[1, h, i, j]) <= 1e-6 for h, i, j, o in drawn),
          f"sample 1, query 2: {H * allowed} lines, opacities = weights[1, h, 2, :] (padding and causal mask blocked)")
    away(driver)
    hover(driver, token(driver, "q", 0))
    check(len(lines(driver)) == 0 and "fully masked row" in driver.find_element(By.ID, "row-numbers").text,
          "sample 1, query 0 (padding and the causal mask block every key): no line, said to be fully masked")
    away(driver)
    tab(driver, "model")
    per_sample = [int(blocked[b].sum()) for b in range(B)]
    maps = driver.find_elements(By.CSS_SELECTOR, ".model-label")
    # each sample appears in weights (H heads) and in each head-average file (1 head)
    means = sum(1 for m in maps if "mean" in m.text) // B
    want = sum(n * (H + means) for n in per_sample)
    check(len(driver.find_elements(By.CSS_SELECTOR, "rect.cell.blocked")) == want,
          f"model view: {want} hatched cells, the masks' blocked cells in every map of each sample")
    shot(driver, shots, "pytorch-fully-masked-model-view")
    tab(driver, "why")
    Select(driver.find_element(By.ID, "why-map")).select_by_value("1")
    Select(driver.find_element(By.ID, "why-head")).select_by_value("1")
    Select(driver.find_element(By.ID, "why-query")).select_by_value("3")
    Select(driver.find_element(By.ID, "why-key")).select_by_value("2")
    x, Win, b = np.load(dump / "query.npy")[1], np.load(dump / "in_proj_weight.npy"), np.load(dump / "in_proj_bias.npy")
    E = x.shape[1]
    d = E // H
    Q, K = x @ Win[:E].T + b[:E], x @ Win[E:2 * E].T + b[E:2 * E]
    score = float(Q[3, d:2 * d] @ K[2, d:2 * d] / math.sqrt(d))
    check(abs(why_score(driver) - score) <= 5e-5 and
          "agree" in driver.find_element(By.ID, "why-check").get_attribute("class"),
          f"why this score, sample 1 head 1 query 3 key 2: {score:.4f} from query.npy[1] and in_proj_weight.npy, "
          "its softmax = PyTorch's weight")
    shot(driver, shots, "pytorch-fully-masked-why-this-score")
    console_errors(driver, "PyTorch's fully masked batch")


def first_map_lines(build, slug, work):
    """The lines the head view draws for the first map of chapter SLUG's own dump (layer0/,
    weights.npy, or the stacked weights_head_<h>.npy), read with numpy: one per (head, query,
    key) whose weight is a number and whose key no attn_mask.npy blocks."""
    dump = work / f"docs-{slug}"
    subprocess.run([build / "bin" / slug, "--dump", dump], check=True, stdout=subprocess.DEVNULL)
    if (dump / "layer0" / "weights.npy").exists():
        dump = dump / "layer0"
    if (dump / "weights.npy").exists():
        w = np.load(dump / "weights.npy")
        w = w.reshape((-1,) + w.shape[-2:])[: (1 if w.ndim == 2 else w.shape[-3])]  # (H, L, S)
    else:
        w = np.stack([np.load(f) for f in sorted(dump.glob("weights_head_*.npy"))])
    blocked = np.zeros(w.shape, dtype=bool)
    if (dump / "attn_mask.npy").exists():
        m = np.load(dump / "attn_mask.npy")
        blocked |= m if m.dtype == bool else np.isneginf(m)
    return int(np.sum(~np.isnan(w) & ~blocked))


def check_unsaved_mask(driver, layers, build, work, shots):
    """The test dump without layer 0's attn_mask.npy: "why this score" must not agree, and must
    name the keys the missing causal mask blocked (weights exactly 0)."""
    print("a dump whose mask file is missing")
    dump = work / "no-mask"
    shutil.copytree(layers, dump)
    (dump / "layer0" / "attn_mask.npy").unlink()
    subprocess.run([build / "bin" / "workbook_view", dump], check=True, stdout=subprocess.DEVNULL)
    driver.get((dump / "explorer.html").as_uri())
    tab(driver, "why")
    Select(driver.find_element(By.ID, "why-query")).select_by_value("1")
    Select(driver.find_element(By.ID, "why-key")).select_by_value("0")
    said = driver.find_element(By.ID, "why-check")
    zero = np.flatnonzero(np.load(dump / "layer0" / "weights.npy")[0, 1] == 0)  # the causal mask's keys 2-5
    tokens = (dump / "layer0" / "tokens.txt").read_text().split("\n")
    named = all(f"{j}: {tokens[j]}" in said.text for j in zero) and "does not hold" in said.text
    check("differ" in said.get_attribute("class") and named,
          f"why this score without the mask file: they differ, and keys {list(zero)} (weight exactly 0) are named")
    shot(driver, shots, "no-mask-why-this-score")
    console_errors(driver, "a dump whose mask file is missing")


def check_docs(driver, html, shots, build, work):
    """The explorers embedded in the docs pages: each frame draws its chapter's weights."""
    pages = sorted(p for p in html.glob("ch*.html") if "explorer" not in p.name and
                   'class="explorer-frame"' in p.read_text(encoding="utf-8", errors="replace"))
    check(len(pages) >= 2, f"docs: pages embedding the explorer: {[p.name for p in pages]}")
    for page in pages:
        want = first_map_lines(build, page.stem[2:], work)
        driver.get(page.as_uri())
        frame = driver.find_element(By.CSS_SELECTOR, "iframe.explorer-frame")
        driver.execute_script("arguments[0].scrollIntoView()", frame)
        driver.switch_to.frame(frame)
        drawn = lines(driver)
        check(len(drawn) == want, f"docs {page.name}: the embedded explorer draws the chapter's dump, "
                                  f"{want} lines (got {len(drawn)})")
        driver.switch_to.default_content()
        shot(driver, shots, f"docs-{page.stem}")
        console_errors(driver, f"docs {page.name}")


def make_dumps(build, work):
    """Chapter 11's dump, the Part VI test dump and a copy of a module exported from PyTorch,
    each with its explorer.html."""
    d11, layers, torch = work / "ch11", work / "layers", work / "fully_masked"
    subprocess.run([build / "bin" / "11_multihead_attention", "--dump", d11], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([build / "tests" / "explorer_make_layer_dump", layers], check=True, stdout=subprocess.DEVNULL)
    shutil.copytree(ROOT / "tests" / "fixtures" / "multihead_attention" / "fully_masked", torch)
    for d in (d11, layers, torch):
        subprocess.run([build / "bin" / "workbook_view", d], check=True, stdout=subprocess.DEVNULL)
    return d11, layers, torch


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=Path, default=ROOT / "build" / os.environ.get("WORKBOOK_PRESET", "dev"))
    parser.add_argument("--shots", type=Path, help="default: BUILD/explorer-screenshots")
    parser.add_argument("--docs", type=Path, help="the docs site (html/) whose embedded explorers to check")
    args = parser.parse_args()
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            print(f"check_explorer_browser: cannot run: no {path} (apt-get install {package})", file=sys.stderr)
            return 2
    shots = args.shots or args.build / "explorer-screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        d11, layers, torch = make_dumps(args.build.resolve(), work)
        driver = browser(work / "profile")
        try:
            driver.set_page_load_timeout(60)
            check_chapter11(driver, d11, shots)
            check_layers(driver, layers, shots)
            check_pytorch_module(driver, torch, shots)
            check_unsaved_mask(driver, layers, args.build.resolve(), work, shots)
            if args.docs:
                check_docs(driver, args.docs.resolve(), shots, args.build.resolve(), work)
        finally:
            driver.quit()
    if failures:
        print(f"check_explorer_browser: {len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print(f"check_explorer_browser: every check passed; screenshots in {shots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
