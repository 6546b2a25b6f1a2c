/**
 * The trace viewer's browser code, inlined into the report. It builds everything with DOM calls
 * and `textContent`, never `innerHTML`, so model text cannot inject markup. A filter narrows the
 * problem list to instances with a premature exit or with an answer that differs from vanilla's.
 */
export const VIEWER_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('trace-data').textContent);
  var select = document.getElementById('trace-select');
  var filter = document.getElementById('trace-filter');
  var count = document.getElementById('trace-count');
  var root = document.getElementById('trace-view');
  var tests = {
    all: function () { return true; },
    premature: function (t) { return t.stops.some(function (s) { return s.premature; }); },
    disagree: function (t) { return t.stops.some(function (s) { return s.disagrees; }); }
  };
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fmtP(p) { return p === undefined ? '' : p.toFixed(2); }
  function labelText(l) { return l === undefined ? '?' : l ? 'correct' : 'wrong'; }
  function fill() {
    var keep = tests[filter.value] || tests.all;
    select.textContent = '';
    var first = -1;
    var shown = 0;
    data.forEach(function (t, i) {
      if (!keep(t)) return;
      if (first < 0) first = i;
      shown++;
      var o = document.createElement('option');
      o.value = String(i);
      o.textContent = t.dataset + ' · ' + t.slice + ' · ' + t.problemId + ' · T=' + t.temperature + ' · seed ' + t.seed;
      select.appendChild(o);
    });
    count.textContent = shown + ' of ' + data.length + ' problem instances';
    render(first);
  }
  function render(i) {
    var t = data[i];
    root.textContent = '';
    if (!t) { root.appendChild(el('p', 'empty', 'No traces match.')); return; }
    if (t.question !== undefined) root.appendChild(el('div', 'question', t.question));
    root.appendChild(el('p', 'meta', 'gold: ' + t.gold + ' · ' + t.cues.length + ' cues · ' + t.text.length + ' characters of thinking'));
    var events = [];
    var stopsAt = {};
    t.stops.forEach(function (s) { (stopsAt[s.char] = stopsAt[s.char] || []).push(s.label); });
    Object.keys(stopsAt).forEach(function (c) { events.push({ at: Number(c), order: 0, labels: stopsAt[c] }); });
    t.cues.forEach(function (c, k) { events.push({ at: c.start, order: 1, cue: c, k: k }); });
    events.sort(function (a, b) { return a.at - b.at || a.order - b.order; });
    var box = el('div', 'thinking');
    var at = 0;
    events.forEach(function (ev) {
      if (ev.at > at) { box.appendChild(document.createTextNode(t.text.slice(at, ev.at))); at = ev.at; }
      if (ev.cue) {
        var c = ev.cue;
        var m = el('mark', 'cue ' + (c.label === undefined ? 'lab-u' : c.label ? 'lab-1' : 'lab-0'), t.text.slice(Math.max(at, c.start), c.end));
        m.title = 'cue #' + ev.k + ' at token ' + c.position + ' · forced exit ' + labelText(c.label) + (c.p === undefined ? '' : ' · p=' + fmtP(c.p));
        m.setAttribute('data-position', String(c.position));
        box.appendChild(m);
        if (c.p !== undefined) box.appendChild(el('sup', 'p', 'p=' + fmtP(c.p)));
        at = Math.max(at, c.end);
      } else {
        box.appendChild(el('span', 'stop', '■ ' + ev.labels.join(', ')));
      }
    });
    if (at < t.text.length) box.appendChild(document.createTextNode(t.text.slice(at)));
    root.appendChild(box);
    var mt = el('table', 'stops');
    var head = el('tr');
    ['method', 'stopped', 'at token', 'tokens decoded', 'answer', 'flags', 'correct'].forEach(function (h) { head.appendChild(el('th', '', h)); });
    mt.appendChild(head);
    t.stops.forEach(function (s) {
      var tr = el('tr', (s.correct ? 'ok' : 'bad') + (s.premature ? ' premature' : '') + (s.disagrees ? ' disagrees' : ''));
      var flags = [s.premature ? 'premature' : '', s.disagrees ? 'differs from vanilla' : ''].filter(Boolean).join(', ');
      [s.label, s.reason, String(s.position), String(s.tokens), s.answer === null ? '—' : s.answer, flags, s.correct ? '✓' : '✗'].forEach(function (v) { tr.appendChild(el('td', '', v)); });
      mt.appendChild(tr);
    });
    root.appendChild(el('h3', '', 'Where each method stopped'));
    root.appendChild(mt);
    var ct = el('table', 'cues');
    var ch = el('tr');
    ['#', 'token', 'cue', 'forced exit', 'probe p'].forEach(function (h) { ch.appendChild(el('th', '', h)); });
    ct.appendChild(ch);
    t.cues.forEach(function (c, k) {
      var tr = el('tr');
      [String(k), String(c.position), c.text, labelText(c.label), fmtP(c.p)].forEach(function (v) { tr.appendChild(el('td', '', v)); });
      ct.appendChild(tr);
    });
    root.appendChild(el('h3', '', 'Cues'));
    root.appendChild(ct);
  }
  select.addEventListener('change', function () { render(Number(select.value)); });
  filter.addEventListener('change', fill);
  fill();
})();
`;
