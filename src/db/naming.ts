/**
 * File names of saved failures and repro scripts: a readable slug of the property name, plus (for
 * failure files) a hash of the name and the inputs, so the same minimal case always lands in the
 * same file and different cases of one property never overwrite each other.
 */
import { createHash } from 'node:crypto';

const MAX_SLUG = 60;

/** `naive BCE (example bug)` → `naive-bce-example-bug`. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug.length === 0) return `property-${shortHash(name, 8)}`;
  if (slug.length <= MAX_SLUG) return slug;
  return `${slug.slice(0, MAX_SLUG - 9).replace(/-+$/, '')}-${shortHash(name, 8)}`;
}

export function shortHash(text: string, length = 10): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/**
 * `<slug>-<hash>.json`, where the hash covers the property name, the serialized inputs and the
 * backend the case failed on (when given): the same case failing on two backends is two files.
 */
export function failureFileName(propertyName: string, serializedInputs: unknown, backend?: string): string {
  const on = backend === undefined ? '' : `${backend}\0`;
  return `${slugify(propertyName)}-${shortHash(`${propertyName}\0${on}${JSON.stringify(serializedInputs)}`)}.json`;
}

/**
 * `<slug>.mjs`: one repro script per property (the latest failure), plain JavaScript ESM; its k-th
 * distinct failure (k >= 2, PropertyResult.distinct) `<slug>.<k>.mjs`.
 */
export function reproFileName(propertyName: string, distinct = 1): string {
  return distinct > 1 ? `${slugify(propertyName)}.${distinct}.mjs` : `${slugify(propertyName)}.mjs`;
}

/** The distinct-failure scripts of a property, `<slug>.<k>.mjs`: which k a file name is, else undefined. */
export function distinctReproIndex(propertyName: string, file: string): number | undefined {
  const slug = slugify(propertyName);
  if (!file.startsWith(`${slug}.`) || !file.endsWith('.mjs')) return undefined;
  const k = file.slice(slug.length + 1, -'.mjs'.length);
  return /^[1-9]\d*$/.test(k) && Number(k) > 1 ? Number(k) : undefined;
}
