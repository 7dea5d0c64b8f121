// toYAML writes a JSON value as block-style YAML (for reading a pipeline
// spec, not for round trips of exotic values).
export function toYAML(v) {
  const out = [];
  emit(v, 0, out, null);
  return out.join('\n') + '\n';
}

const plain = /^[A-Za-z_][\w./-]*$/;
const reserved = /^(true|false|null|yes|no|on|off|~)$/i;

function scalar(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const str = String(v);
  if (str.includes('\n')) return null; // block scalar
  if (plain.test(str) && !reserved.test(str)) return str;
  return JSON.stringify(str);
}

function key(k) {
  return plain.test(k) && !reserved.test(k) ? k : JSON.stringify(k);
}

function emit(v, ind, out, prefix) {
  const pad = ' '.repeat(ind);
  if (Array.isArray(v)) {
    if (!v.length) return out.push((prefix ?? pad) + '[]');
    if (prefix !== null) out.push(prefix.trimEnd());
    for (const x of v) {
      if (x && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length) {
        const lines = [];
        emit(x, ind + 2, lines, null);
        out.push(pad + '- ' + lines[0].trimStart(), ...lines.slice(1));
      } else emit(x, ind + 2, out, pad + '- ');
    }
    return;
  }
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    if (!keys.length) return out.push((prefix ?? pad) + '{}');
    if (prefix !== null) out.push(prefix.trimEnd());
    for (const k of keys) {
      const x = v[k];
      const p = pad + key(k) + ': ';
      if (x && typeof x === 'object' && (Array.isArray(x) ? x.length : Object.keys(x).length)) {
        out.push(p.trimEnd());
        emit(x, Array.isArray(x) ? ind : ind + 2, out, null);
      } else emit(x, ind + 2, out, p);
    }
    return;
  }
  const sc = scalar(v);
  if (sc !== null) return out.push((prefix ?? pad) + sc);
  out.push((prefix ?? pad) + '|-');
  for (const line of String(v).split('\n')) out.push(' '.repeat(ind) + line);
}
