// Every relative link of the README, docs/*.md and bench/README.md points to a file that exists,
// and a `#anchor` into a Markdown file (or within one) names one of its headings, slugged as
// GitHub does.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The Markdown files whose links are checked, relative to the repository root. */
function documents(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs.sort(), 'bench/README.md'];
}

/** Lines outside fenced code blocks, with inline code spans removed. */
function proseLines(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((text, i) => {
    const f = text.match(/^\s*(```+|~~~+)/);
    if (f) {
      if (fence === undefined) fence = f[1]![0];
      else if (f[1]![0] === fence) fence = undefined;
      return;
    }
    if (fence === undefined) out.push({ line: i + 1, text: text.replace(/(`+)[^`]*?\1/g, '') });
  });
  return out;
}

/** GitHub's heading anchor: lowercase, punctuation other than '-' and '_' dropped, spaces to '-'. */
function githubSlug(heading: string): string {
  const text = heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // a link in a heading: its text
    .replace(/`/g, '')
    .replace(/\*/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** The anchors of a Markdown document's headings (duplicates get -1, -2, ... as on GitHub). */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fence: string | undefined;
  for (const text of markdown.split('\n')) {
    const f = text.match(/^\s*(```+|~~~+)/);
    if (f) {
      if (fence === undefined) fence = f[1]![0];
      else if (f[1]![0] === fence) fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const h = text.match(/^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/);
    if (!h) continue;
    const slug = githubSlug(h[1]!);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** The link targets of a Markdown document: inline links, images and reference definitions. */
function linksOf(markdown: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  for (const { line, text } of proseLines(markdown)) {
    for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ line, target: m[1]! });
    const def = text.match(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/);
    if (def) links.push({ line, target: def[1]! });
  }
  return links;
}

/** What is wrong with the relative links of `file` (a path relative to `root`), given its text. */
function brokenLinks(root: string, file: string, markdown: string): string[] {
  const problems: string[] = [];
  for (const { line, target } of linksOf(markdown)) {
    const where = `${file}:${line}: ${target}`;
    if (target === '') {
      problems.push(`${where}: empty link`);
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // https:, mailto:, ...
    const hash = target.indexOf('#');
    const rel = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
    const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const resolved = rel === '' ? path.join(root, file) : rel.startsWith('/') ? path.join(root, rel) : path.resolve(path.dirname(path.join(root, file)), rel);
    if (
      !path
        .relative(root, resolved)
        .split(path.sep)
        .every((p) => p !== '..')
    ) {
      problems.push(`${where}: points outside the repository`);
      continue;
    }
    if (!existsSync(resolved)) {
      problems.push(`${where}: no such file ${path.relative(root, resolved)}`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!resolved.endsWith('.md') || statSync(resolved).isDirectory()) continue; // #L10 into source files: not checked
    const anchors = anchorsOf(rel === '' ? markdown : readFileSync(resolved, 'utf8'));
    if (!anchors.has(anchor)) problems.push(`${where}: no heading #${anchor} in ${path.relative(root, resolved)}`);
  }
  return problems;
}

describe('documentation links', () => {
  it('checks the README, every page of docs/ and bench/README.md', () => {
    const files = documents();
    for (const f of [
      'README.md',
      'docs/README.md',
      'docs/architecture.md',
      'docs/backends-and-diff.md',
      'docs/catalog.md',
      'docs/ci-gate-and-reports.md',
      'docs/cli.md',
      'docs/reproducing.md',
      'docs/training.md',
      'docs/vitest.md',
      'docs/writing-properties.md',
      'bench/README.md',
    ]) {
      expect(files).toContain(f);
    }
    // the pages are linked: each page of docs/ is reachable from docs/README.md, which the README links
    const index = linksOf(readFileSync(path.join(ROOT, 'docs/README.md'), 'utf8')).map((l) => l.target);
    for (const f of files.filter((f) => f.startsWith('docs/') && f !== 'docs/README.md')) expect(index).toContain(path.basename(f));
    expect(index).toContain('../bench/README.md');
    expect(linksOf(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).map((l) => l.target)).toContain('docs/README.md');
  });

  it('every relative link points to an existing file, and every #anchor to an existing heading', () => {
    const problems = documents().flatMap((f) => brokenLinks(ROOT, f, readFileSync(path.join(ROOT, f), 'utf8')));
    expect(problems).toEqual([]);
  });

  it('the checker finds a missing file, a missing heading and an empty link, and ignores code and absolute URLs', () => {
    const doc = [
      '# Title',
      '## A section: with `code` (and punctuation)!',
      '## Twice',
      '## Twice',
      '[ok](README.md) [ok](#title) [ok](#a-section-with-code-and-punctuation) [ok](#twice-1) [ok](docs/cli.md#the-commands-in-detail)',
      '[ok](https://example.com/missing.md) [ok](mailto:a@b.c) [ok](src/) [ok](package.json#L3)',
      '`[not a link](missing-in-code.md)`',
      '```',
      '[not a link](missing-in-fence.md)',
      '```',
      '[bad](missing.md) [bad](#nowhere) [bad](docs/cli.md#no-such-heading) [bad]() [bad](#twice-2)',
      '[ref]: docs/missing.md',
    ].join('\n');
    const problems = brokenLinks(ROOT, 'README.md', doc);
    expect(problems).toEqual([
      'README.md:11: missing.md: no such file missing.md',
      'README.md:11: #nowhere: no heading #nowhere in README.md',
      'README.md:11: docs/cli.md#no-such-heading: no heading #no-such-heading in docs/cli.md',
      'README.md:11: : empty link',
      'README.md:11: #twice-2: no heading #twice-2 in README.md',
      'README.md:12: docs/missing.md: no such file docs/missing.md',
    ]);
  });

  it('slugs headings as GitHub does', () => {
    // the anchors GitHub gave the sections of the 1,004-line README (its table of contents linked them)
    expect(githubSlug('Backends, unsupported ops and differential testing (`nanhunt diff`)')).toBe(
      'backends-unsupported-ops-and-differential-testing-nanhunt-diff',
    );
    expect(githubSlug('vitest: `numProp` and numerical matchers (`nanhunt/vitest`)')).toBe('vitest-numprop-and-numerical-matchers-nanhuntvitest');
    expect(githubSlug('Training runs that go NaN (`trainingProperty`, `trainingConfig`)')).toBe('training-runs-that-go-nan-trainingproperty-trainingconfig');
    expect(githubSlug('Benchmarks (`npm run bench`)')).toBe('benchmarks-npm-run-bench');
    expect(githubSlug("The diff report's data shape")).toBe('the-diff-reports-data-shape');
    expect(githubSlug('snake_case and  two spaces')).toBe('snake_case-and--two-spaces');
  });
});
