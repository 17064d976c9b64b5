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

/** `<slug>.mjs`: one repro script per property (the latest failure), plain JavaScript ESM. */
export function reproFileName(propertyName: string): string {
  return `${slugify(propertyName)}.mjs`;
}
