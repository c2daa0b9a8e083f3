"""The touch-screen rules measured on the rendered screens in Chromium at 1080×1920:
target sizes, text sizes, contrast, no selection, no context menu, no zoom.

Numbers (STYLE-AND-UX B1–B3, B7, at 96 CSS px per inch, 1 mm ≈ 3.78 px): every target
≥ 12 mm ≈ 46 px on both sides; primary actions and keypad keys ≥ 20 mm ≈ 76 px; body text
≥ 24 px, nothing below 18 px; the step prompt ≥ 40 px; text contrast ≥ 7:1.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

TARGET, PRIMARY = 46, 76
BODY_TEXT, SMALLEST_TEXT, PROMPT = 24, 18, 40
CONTRAST = 7.0

# Returns every visible control and every visible piece of text with what was measured.
MEASURE = """
() => {
  const visible = el => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && !el.closest("[hidden]");
  };
  const rgba = c => (c.match(/[\\d.]+/g) || []).map(Number).concat([1]).slice(0, 4);
  const luminance = ([r, g, b]) => {
    const lin = v => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  // The colour actually behind an element: its own background or the nearest ancestor's,
  // with translucent layers composited over what lies beneath.
  const background = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let out = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) {
      out = [r * a + out[0] * (1 - a), g * a + out[1] * (1 - a), b * a + out[2] * (1 - a)];
    }
    return out;
  };
  const selectable = el => getComputedStyle(el).userSelect || getComputedStyle(el).webkitUserSelect;
  const controls = [...document.querySelectorAll(
      "button, a[href], summary, input:not([type=hidden]), [data-key]")]
    .filter(visible).map(el => {
      const r = el.getBoundingClientRect();
      return { what: el.outerHTML.slice(0, 90), width: r.width, height: r.height,
               primary: el.matches(".btn.primary, .key, .btn.choice, .tile"),
               userSelect: selectable(el) };
    });
  const texts = [...document.querySelectorAll("body *")].filter(el =>
      visible(el) && [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
    .map(el => {
      const s = getComputedStyle(el), fg = rgba(s.color), bg = background(el);
      const L1 = luminance(fg), L2 = luminance(bg);
      return { what: el.outerHTML.slice(0, 90), text: el.textContent.trim().slice(0, 40),
               size: parseFloat(s.fontSize), prompt: el.matches("h1, .prompt"),
               contrast: (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05) };
    });
  const html = getComputedStyle(document.documentElement);
  return { controls, texts, touchAction: html.touchAction,
           bodySelect: selectable(document.body),
           viewport: document.querySelector("meta[name=viewport]").content,
           contextMenuBlocked: !document.querySelector("main").dispatchEvent(
             new MouseEvent("contextmenu", { bubbles: true, cancelable: true })) };
}
"""


def check_screen(page, shoot, name):
    """Measure the screen as rendered; return every rule it breaks, in words."""
    shoot(page, name)
    m = page.evaluate(MEASURE)
    problems = []
    assert m["controls"], "no controls found: the measurement is not looking at the screen"
    assert m["texts"]
    for c in m["controls"]:
        least = PRIMARY if c["primary"] else TARGET
        if min(c["width"], c["height"]) < least - 0.5:
            problems.append(f"{name}: {c['width']:.0f}×{c['height']:.0f} px < {least} px: "
                            f"{c['what']}")
        if not c["what"].startswith("<input") and c["userSelect"] != "none":
            problems.append(f"{name}: text in a control can be selected: {c['what']}")
    for t in m["texts"]:
        least = PROMPT if t["prompt"] else SMALLEST_TEXT
        if t["size"] < least:
            problems.append(f"{name}: {t['size']}px text < {least} px: {t['text']!r}")
        if t["contrast"] < CONTRAST:
            problems.append(f"{name}: contrast {t['contrast']:.1f}:1 < {CONTRAST}:1: "
                            f"{t['text']!r} {t['what']}")
    # Body text: most of what is written on the screen is at least 24 px.
    small = [t for t in m["texts"] if t["size"] < BODY_TEXT]
    if len(small) > len(m["texts"]) // 4:
        problems.append(f"{name}: too much text below {BODY_TEXT} px: "
                        f"{[t['text'] for t in small]}")
    if m["touchAction"] != "manipulation":
        problems.append(f"{name}: touch-action is {m['touchAction']}, so double-tap zooms")
    if m["bodySelect"] != "none":
        problems.append(f"{name}: text on the page can be selected")
    if not m["contextMenuBlocked"]:
        problems.append(f"{name}: a long press opens the context menu")
    if "user-scalable=no" not in m["viewport"] or "maximum-scale=1" not in m["viewport"]:
        problems.append(f"{name}: the viewport allows pinch zoom: {m['viewport']}")
    return problems


def test_every_screen_meets_the_touch_rules(page, shoot, login, keypad, scan):
    problems = check_screen(page, shoot, "lock-badge")
    keypad(page, "1006")
    page.get_by_role("button", name="Next").tap()
    expect(page.locator("#login h1")).to_contain_text("Enter your PIN")
    problems += check_screen(page, shoot, "lock-pin")
    keypad(page, "6789")
    page.get_by_role("button", name="Log in").tap()
    expect(page.locator(".topbar .who")).to_have_text("Femi Adeyemi")

    problems += check_screen(page, shoot, "home")
    page.get_by_role("button", name=re.compile("Move packages")).tap()
    expect(page.locator("#step h1")).to_have_text("Scan the package tag.")
    page.wait_for_load_state("load")
    problems += check_screen(page, shoot, "scan-step")
    scan(page, "LOC-NOWHERE")
    expect(page.locator("#step .feedback.error")).to_be_visible()
    page.wait_for_timeout(700)  # after the one-off flash
    problems += check_screen(page, shoot, "scan-refused")
    page.locator("#step details.manual summary").tap()
    problems += check_screen(page, shoot, "type-it-instead")

    page.get_by_role("link", name="Home").tap()
    page.get_by_role("button", name=re.compile("Vault entry")).tap()
    expect(page.locator("#step h1")).to_have_text("Why are you going into the vault?")
    problems += check_screen(page, shoot, "choose-step")
    page.get_by_role("button", name="Restock or pick").tap()
    expect(page.locator("#step h2.signer")).to_be_visible()
    problems += check_screen(page, shoot, "sign-off-step")

    page.get_by_role("link", name="Home").tap()
    expect(page.locator(".tile.resume")).to_have_count(2)
    problems += check_screen(page, shoot, "home-with-runs")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("selector", [".key", ".btn.primary"])
def test_keys_are_twenty_millimetres(page, selector):
    """The keypad and the primary action on the badge screen, measured on their own."""
    boxes = [el.bounding_box() for el in page.locator(f"#login {selector}").all()]
    assert boxes
    for box in boxes:
        assert box["width"] >= PRIMARY and box["height"] >= PRIMARY, box


def test_open_runs_meet_the_touch_rules(page, shoot, login, start_run):
    """The manager's open runs (tiles to open, a cancel with reasons) are for gloves too."""
    login(page, "1006", "6789")
    start_run(page, "Move packages")
    page.get_by_role("link", name="Home").tap()
    page.get_by_role("link", name="Manager screens").tap()
    page.get_by_role("link", name=re.compile("Open runs")).tap()
    expect(page.locator("#runs .open-run")).not_to_have_count(0)
    page.locator("#runs .open-run details.cancel summary").first.tap()
    problems = check_screen(page, shoot, "open-runs")
    assert not problems, "\n".join(problems)
