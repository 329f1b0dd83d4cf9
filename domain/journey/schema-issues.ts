/** Zod's issues (structure) → issues at the JSON paths a marketer sees, with what was found there. */
import type { z } from 'zod';
import { lookup, show, type RawIssue, type Seg } from './issues';

type ZodIssue = z.core.$ZodIssue;

function toSegs(path: readonly PropertyKey[]): Seg[] {
  return path.map((k) => (typeof k === 'number' ? k : String(k)));
}

/** An issue saying a literal tag (`kind`, `type`) did not match one union option. */
function literalTagMismatch(issue: ZodIssue): { key: Seg; values: unknown[] } | undefined {
  if (issue.code !== 'invalid_value' || issue.path.length !== 1 || issue.values.length !== 1) return undefined;
  const key = issue.path[0];
  if (typeof key !== 'string') return undefined;
  return { key, values: issue.values };
}

export function mapZodIssue(issue: ZodIssue, prefix: readonly Seg[], input: unknown, out: RawIssue[]): void {
  const segs = [...prefix, ...toSegs(issue.path)];
  const value = lookup(input, segs);
  switch (issue.code) {
    case 'unrecognized_keys':
      for (const key of issue.keys) out.push({ segs: [...segs, key], message: `unknown property "${key}"` });
      return;
    case 'invalid_key':
      out.push({ segs, message: `invalid key: ${issue.issues.map((i) => i.message).join('; ')}` });
      return;
    case 'invalid_type':
      out.push({ segs, message: value === undefined ? `required: expected ${issue.expected}` : issue.message });
      return;
    case 'invalid_value':
      out.push({ segs, message: `${issue.message} (got ${show(value)})` });
      return;
    case 'invalid_union': {
      if (issue.discriminator !== undefined && issue.errors.length === 0 && issue.inclusive !== false) {
        const options = (issue.options ?? []).map((o) => String(o)).join(', ');
        out.push({
          segs,
          message:
            value === undefined
              ? `required: "${issue.discriminator}" must be one of ${options}`
              : `unknown ${issue.discriminator} ${show(value)}: expected one of ${options}`,
        });
        return;
      }
      if (issue.errors.length === 0) {
        out.push({ segs, message: issue.message });
        return;
      }
      // A plain union (conditions): report the option the input was meant to be, i.e. the ones whose literal
      // tag matched; among those, the one with the fewest complaints.
      const candidates = issue.errors.filter((branch) => !branch.some((i) => literalTagMismatch(i) !== undefined));
      if (candidates.length === 0) {
        const tags = issue.errors.flatMap((branch) => branch.map(literalTagMismatch)).filter((t) => t !== undefined);
        const key = tags[0]?.key ?? 'kind';
        const options = [...new Set(tags.filter((t) => t.key === key).flatMap((t) => t.values.map(String)))];
        const tagValue = lookup(value, [key]);
        out.push({
          segs: [...segs, key],
          message:
            tagValue === undefined
              ? `required: "${key}" must be one of ${options.join(', ')}`
              : `unknown ${key} ${show(tagValue)}: expected one of ${options.join(', ')}`,
        });
        return;
      }
      const best = candidates.reduce((a, b) => (b.length < a.length ? b : a));
      for (const inner of best) mapZodIssue(inner, segs, input, out);
      return;
    }
    default:
      out.push({ segs, message: issue.message });
  }
}
