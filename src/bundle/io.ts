import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { DataFormatError, UserError, withContext } from '../errors.ts';
import { Bundle } from './Bundle.ts';
import { checkFingerprint, type Fingerprint } from './fingerprint.ts';
import { BUNDLE_FORMAT, BUNDLE_VERSION, type BundleData, BundleSchema, infinityReplacer } from './schema.ts';

/** Writes a bundle atomically: to a temporary file in the same folder, then rename over `path`. */
export async function saveBundle(path: string, bundle: Bundle | BundleData): Promise<void> {
  const data = bundle instanceof Bundle ? bundle.toJSON() : bundle;
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, `${JSON.stringify(data, infinityReplacer, 2)}\n`);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new DataFormatError(`cannot write bundle ${path}: ${(e as Error).message}`);
  }
}

/** Parses bundle JSON text; `where` names the source in errors. */
export function parseBundle(text: string, where: string): Bundle {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DataFormatError(
      `bundle ${where} is not valid JSON (truncated or not a bundle?): ${(e as Error).message}`,
    );
  }
  const head = raw as { format?: unknown; version?: unknown } | null;
  if (typeof head !== 'object' || head === null || head.format !== BUNDLE_FORMAT)
    throw new DataFormatError(
      `${where} is not a lynx-exit bundle (format is ${JSON.stringify(head?.format ?? null)}, expected "${BUNDLE_FORMAT}")`,
    );
  if (head.version !== BUNDLE_VERSION)
    throw new DataFormatError(
      `bundle ${where} has version ${JSON.stringify(head.version)}; this lynx-exit reads version ${BUNDLE_VERSION}`,
    );
  const parsed = BundleSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new DataFormatError(`bundle ${where} is malformed: ${issues}`);
  }
  try {
    return new Bundle(parsed.data);
  } catch (e) {
    if (e instanceof UserError) throw withContext(e, `bundle ${where}: `);
    throw e;
  }
}

/**
 * Reads and validates a bundle. With `expectFingerprint`, a bundle made for another model is a
 * UserError naming both models (and `modelId`, the model at hand, next to the bundle's id).
 */
export async function loadBundle(
  path: string,
  opts: { expectFingerprint?: Fingerprint; modelId?: string } = {},
): Promise<Bundle> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataFormatError(
      `cannot read bundle ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`,
    );
  }
  const bundle = parseBundle(text, path);
  if (opts.expectFingerprint) {
    try {
      const ids =
        opts.modelId !== undefined ? { bundle: bundle.data.model.id, model: opts.modelId } : undefined;
      checkFingerprint(bundle.fingerprint, opts.expectFingerprint, ids);
    } catch (e) {
      throw e instanceof UserError ? withContext(e, `${path}: `) : e;
    }
  }
  return bundle;
}
