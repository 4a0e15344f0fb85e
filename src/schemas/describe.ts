/** Turns TypeBox/JSON-schema errors into one message that names the field. */

export interface SchemaError {
  keyword: string;
  instancePath: string;
  message: string;
  params: Record<string, unknown>;
}

/** Picks the most telling error: the deepest path, preferring unknown fields and allowed values. */
export function describeErrors(errors: readonly SchemaError[]): { path: string; message: string } {
  // An unknown field is reported on the object; name the field itself.
  const extra = errors.find((e) => e.keyword === 'additionalProperties');
  const names = (extra?.params.additionalProperties as string[] | undefined) ?? [];
  if (extra && names.length > 0) {
    // JSON-pointer escaped, and cut so a client's giant key is not echoed back whole.
    const name = names[0]!.length > 64 ? `${names[0]!.slice(0, 64)}…` : names[0]!;
    return { path: `${extra.instancePath}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: 'is not a known field' };
  }
  const best = errors.reduce((b, e) => (e.instancePath.length > b.instancePath.length ? e : b), errors[0]!);
  const siblings = errors.filter((e) => e.instancePath === best.instancePath);
  // A missing field is reported on the object too.
  const required = siblings.find((e) => e.keyword === 'required');
  const missing = (required?.params.requiredProperties as string[] | undefined) ?? [];
  if (required && missing.length > 0) return { path: `${best.instancePath}/${missing[0]!}`, message: 'is required' };
  const consts = siblings.filter((e) => e.keyword === 'const').map((e) => JSON.stringify(e.params.allowedValue));
  if (consts.length > 0) return { path: best.instancePath, message: `must be one of ${consts.join(', ')}` };
  const pattern = siblings.find((e) => e.keyword === 'pattern');
  if (pattern) {
    return { path: best.instancePath, message: `has characters or a length not allowed (pattern ${String(pattern.params.pattern)})` };
  }
  const other = siblings.find((e) => e.keyword !== 'anyOf' && e.keyword !== 'type' && e.keyword !== 'boolean');
  if (other) return { path: best.instancePath, message: other.message };
  const types = siblings.filter((e) => e.keyword === 'type').map((e) => String(e.params.type));
  if (types.length > 0) return { path: best.instancePath, message: `must be ${[...new Set(types)].join(' or ')}` };
  return { path: best.instancePath, message: best.message };
}

/** `/3/status` under prefix `events` → `events[3].status`; `/limit` under `` → `limit`. */
export function fieldName(prefix: string, instancePath: string): string {
  const segs = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return prefix + segs.map((p, i) => (/^[0-9]+$/.test(p) ? `[${p}]` : i === 0 && prefix === '' ? p : `.${p}`)).join('');
}
