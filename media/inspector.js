// Token inspector webview. Receives InspectorData ({ type: 'stats', ... }) from the extension and
// draws it with plain DOM (no libraries, no inline handlers: the CSP allows only this nonce'd script).
// After each draw it reports what it drew, so the extension (and its tests) know the view is live.
(function () {
  'use strict';
  const vscode = acquireVsCodeApi();
  const fmt = new Intl.NumberFormat('en-US');
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      // CSSOM, not the style attribute: the CSP has no 'unsafe-inline' for styles
      else if (k === 'style') e.style.cssText = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  };
  const row = (cells, cls) => el('tr', cls ? { class: cls } : {}, ...cells);
  const td = (v, num) => el('td', num ? { class: 'num' } : {}, v);
  const th = (v, num) => el('th', num ? { class: 'num' } : {}, v);

  function drawHistogram(hist) {
    const box = document.getElementById('histogram');
    box.replaceChildren();
    const max = Math.max(1, ...hist);
    hist.forEach((n, i) => {
      // pixel heights: percentage heights inside flex columns do not resolve reliably
      const fill = el('div', { class: 'fill', style: `height:${Math.round((110 * n) / max)}px` });
      fill.title = `${fmt.format(n)} tokens of ${i === 15 ? '16+' : i + 1} bytes`;
      box.append(el('div', { class: 'bar' }, el('div', { class: 'value' }, n ? fmt.format(n) : ''), fill, el('div', { class: 'label' }, i === 15 ? '16+' : String(i + 1))));
    });
    return hist.length;
  }

  function draw(d) {
    const s = d.stats;
    document.getElementById('summary').textContent =
      `${d.file} — ${d.scope}: ${fmt.format(s.tokens)} tokens, ${fmt.format(s.chars)} characters, ` +
      `${s.charsPerToken.toFixed(2)} chars/token (${d.encoding})${s.truncated ? ' — first 2 M characters only' : ''}`;
    const bars = drawHistogram(s.lengthHistogram);

    const enc = document.getElementById('encodings');
    enc.replaceChildren(row([th('encoding'), th('tokens', true), th('chars/token', true)]));
    if (d.perEncoding) {
      for (const r of d.perEncoding) {
        enc.append(row([td(r.encoding), td(fmt.format(r.tokens), true), td(r.tokens ? (s.chars / r.tokens).toFixed(2) : '–', true)], r.encoding === d.encoding ? 'current' : ''));
      }
    } else {
      enc.append(row([el('td', { colspan: '3' }, 'Too large to compare live — use “Tokenscope: Compare Encodings”.')]));
    }

    const sc = document.getElementById('scripts');
    sc.replaceChildren(row([th('script'), th('characters', true), th('tokens', true), th('chars/token', true), th('× English', true), th('')]));
    const maxPremium = Math.max(1, ...s.scripts.map((r) => r.premium || 0));
    let rows = 0;
    for (const r of s.scripts) {
      const bar = r.premium ? el('span', { class: 'meter', style: `width:${Math.round((80 * r.premium) / maxPremium)}px` }) : '';
      sc.append(row([td(r.script), td(fmt.format(r.chars), true), td(fmt.format(r.tokens), true), td(r.charsPerToken.toFixed(2), true), td(r.premium ? r.premium.toFixed(2) : '–', true), el('td', {}, bar)]));
      rows++;
    }

    const top = document.getElementById('top');
    top.replaceChildren(row([th('token'), th('id', true), th('count', true), th('share', true)]));
    for (const t of s.topTokens) {
      top.append(row([el('td', {}, el('code', {}, t.text)), td(t.id, true), td(fmt.format(t.count), true), td(s.tokens ? `${((100 * t.count) / s.tokens).toFixed(1)}%` : '', true)]));
      rows++;
    }
    vscode.postMessage({ type: 'rendered', file: d.file, tokens: s.tokens, bars, rows });
  }

  window.addEventListener('message', (e) => {
    if (e.data && e.data.type === 'stats') draw(e.data);
  });
  vscode.postMessage({ type: 'ready' });
})();
