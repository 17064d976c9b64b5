// A strict little XML parser for the JUnit tests: elements, attributes, text, the five named
// entities and character references, comments and the XML declaration. Throws on anything
// malformed (mismatched tags, a bare '&' or '<', a duplicate attribute, characters XML forbids).

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string, at: number): string {
  if (/[<]/.test(s)) throw new Error(`bare '<' near ${at}`);
  return s.replace(/&([^;\s]*);?/g, (m, ref: string) => {
    if (!m.endsWith(';')) throw new Error(`bare '&' near ${at}`);
    if (ref in NAMED) return NAMED[ref]!;
    const n = ref.startsWith('#x') ? parseInt(ref.slice(2), 16) : ref.startsWith('#') ? parseInt(ref.slice(1), 10) : NaN;
    if (!Number.isInteger(n)) throw new Error(`unknown entity &${ref}; near ${at}`);
    return String.fromCodePoint(n);
  });
}

export function parseXml(text: string): XmlElement {
  if (/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(text)) throw new Error('character not allowed in XML');
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const skip = (re: RegExp) => {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m || m.index !== i) return undefined;
    i += m[0].length;
    return m;
  };
  skip(/<\?xml[^?]*\?>\s*/y);
  while (i < text.length) {
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 3;
      continue;
    }
    if (text.startsWith('</', i)) {
      const m = skip(/<\/([\w:.-]+)\s*>/y);
      if (!m) throw new Error(`bad end tag at ${i}`);
      const open = stack.pop();
      if (!open || open.name !== m[1]) throw new Error(`</${m[1]}> does not close <${open?.name}>`);
      continue;
    }
    if (text[i] === '<') {
      const m = skip(/<([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y);
      if (!m) throw new Error(`bad start tag at ${i}: ${text.slice(i, i + 40)}`);
      const el: XmlElement = { name: m[1]!, attrs: {}, children: [], text: '' };
      for (const a of m[2]!.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        if (a[1]! in el.attrs) throw new Error(`duplicate attribute ${a[1]}`);
        el.attrs[a[1]!] = decode(a[2] ?? a[3]!, i);
      }
      if (stack.length) stack.at(-1)!.children.push(el);
      else if (root) throw new Error('two root elements');
      else root = el;
      if (!m[3]) stack.push(el);
      continue;
    }
    const next = text.indexOf('<', i);
    const chunk = text.slice(i, next < 0 ? text.length : next);
    if (stack.length) stack.at(-1)!.text += decode(chunk, i);
    else if (chunk.trim() !== '') throw new Error(`text outside the root element at ${i}`);
    i = next < 0 ? text.length : next;
  }
  if (stack.length) throw new Error(`<${stack.at(-1)!.name}> is not closed`);
  if (!root) throw new Error('no root element');
  return root;
}

export function children(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}
