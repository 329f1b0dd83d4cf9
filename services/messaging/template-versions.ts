/**
 * Template versions: the checks of a body (domain/messaging/template-body.ts) against the stored
 * partials, and saving a body as the next immutable version.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../../drizzle/client';
import { templates, templateVersions, type TemplateParts } from '../../drizzle/schema';
import type { TemplateBody } from '../../domain/messaging/template-body';
import { RequestValidationError } from '../issues';
import { TEMPLATE_OUTPUTS } from './render';
import type { createTemplateEngine, Issue, PartialMap } from './templates';

/** Every problem of a template body against the stored partials: JSON paths under `$.body`. */
export function validateTemplate(
  engine: ReturnType<typeof createTemplateEngine>,
  body: TemplateBody,
  partials: PartialMap,
  root = '$.body',
): Issue[] {
  const issues: Issue[] = [];
  if (!(body.defaultLocale in body.locales))
    issues.push({
      path: `${root}.defaultLocale`,
      message: `no locales.${body.defaultLocale}: the default locale must have content`,
    });
  if (body.layout) {
    const layout = partials.get(body.layout);
    if (!layout || layout.kind !== 'layout')
      issues.push({
        path: `${root}.layout`,
        message: `no layout "${body.layout}" (create it with PUT /v1/template-partials/${body.layout})`,
      });
  }
  if (body.channel === 'wechat' && !body.providerTemplateId)
    issues.push({
      path: `${root}.providerTemplateId`,
      message: 'a WeChat template message needs the template id from the WeChat console',
    });
  const known = {
    variables: body.variables,
    partials: new Set([...partials].filter(([, p]) => p.kind === 'partial').map(([id]) => id)),
  };
  for (const [locale, parts] of Object.entries(body.locales)) {
    const at = `${root}.locales.${locale}`;
    if (body.channel === 'email' && !parts.subject)
      issues.push({ path: `${at}.subject`, message: 'an email needs a subject' });
    if (body.channel === 'wechat' && !parts.fields)
      issues.push({ path: `${at}.fields`, message: 'a WeChat template message needs its fields (first, keyword1, …)' });
    for (const part of ['subject', 'text'] as const) {
      const src = parts[part];
      if (src !== undefined) issues.push(...engine.check(src, `${at}.${part}`, known));
    }
    if (parts.html !== undefined)
      issues.push(...engine.check(parts.html, `${at}.html`, { ...known, html: TEMPLATE_OUTPUTS }));
    for (const [name, src] of Object.entries(parts.fields ?? {}))
      issues.push(...engine.check(src, `${at}.fields.${name}`, known));
  }
  return issues;
}

/**
 * Saves `body` (already validated) as the next version of template `id`, creating the template on
 * its first save. A template's channel cannot change: journeys send it on that channel.
 */
export async function saveTemplateVersion(
  db: Db,
  id: string,
  body: TemplateBody,
): Promise<{ created: boolean; version: number }> {
  const defaults: TemplateParts = body.locales[body.defaultLocale]!;
  return db.transaction(async (tx) => {
    const [existing] = await tx.select().from(templates).where(eq(templates.id, id)).for('update');
    if (existing && existing.channel !== body.channel) {
      throw new RequestValidationError([
        {
          path: '$.body.channel',
          message: `template ${id} is a ${existing.channel} template; journeys send it on that channel, so it cannot change`,
        },
      ]);
    }
    // A legacy template (no versions yet) becomes version 1 on its first save.
    const version = (existing?.latestVersion ?? 0) + 1;
    const columns = {
      channel: body.channel,
      subject: defaults.subject ?? null,
      text: defaults.text,
      html: defaults.html ?? null,
      latestVersion: version,
    };
    if (existing)
      await tx
        .update(templates)
        .set({ ...columns, updatedAt: new Date() })
        .where(eq(templates.id, id));
    else await tx.insert(templates).values({ id, ...columns });
    await tx.insert(templateVersions).values({
      templateId: id,
      version,
      defaultLocale: body.defaultLocale,
      locales: body.locales,
      layout: body.layout ?? null,
      providerTemplateId: body.providerTemplateId ?? null,
      variables: body.variables,
    });
    return { created: !existing, version };
  });
}
