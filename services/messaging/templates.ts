/**
 * Templates as stored (`templates` + immutable `template_versions`, shared `template_partials`):
 * loading the version a send uses, choosing the locale, validating a version before it is saved,
 * and rendering every part of a message. Used by the send activity and the admin API (preview).
 */
import { desc, eq, inArray } from 'drizzle-orm';
import type Handlebars from 'handlebars';
import type { Db } from '../../drizzle/client';
import {
  templatePartials,
  templates,
  templateVersions,
  type TemplateParts,
  type TemplateVariables,
} from '../../drizzle/schema';
import {
  builtInHelpers,
  createRenderer,
  formattingHelpers,
  unescapedOutputs,
  type ProductOutputs,
  type RenderContext,
  type UnescapedOutput,
} from './render';

/** What a send renders: one version, all its locales. */
export interface TemplateVersionContent {
  templateId: string;
  channel: 'email' | 'sms' | 'push' | 'wechat';
  /** null for a template saved before versioning (its `templates` columns are the content). */
  version: number | null;
  defaultLocale: string;
  locales: Record<string, TemplateParts>;
  layout: string | null;
  providerTemplateId: string | null;
  variables: TemplateVariables;
}

export interface RenderedMessage {
  locale: string;
  subject?: string;
  text: string;
  html?: string;
  fields?: Record<string, string>;
}

export interface Issue {
  path: string;
  message: string;
}

/** Profile fields every template may use next to declared traits. */
export const profileFields = ['id', 'locale', 'timeZone', 'tags', 'aiplStage'] as const;
/** Computed at send time when a template uses them (activities/recommendations.ts). */
export const computedRoots: readonly string[] = ['recommendations'];
/** Links the send activity provides. */
export const linkNames = ['unsubscribe', 'preferences'] as const;
const LEGACY_LOCALE = 'und';

/**
 * The best of `available` for a reader asking for `requested`: the exact tag (case-insensitive),
 * else the same language (`zh-TW` for `zh-CN` when no `zh-CN`; `zh` first), else `fallback`.
 */
export function pickLocale(
  available: readonly string[],
  requested: string | null | undefined,
  fallback: string,
): string {
  if (requested) {
    const want = requested.toLowerCase();
    const exact = available.find((l) => l.toLowerCase() === want);
    if (exact) return exact;
    const language = want.split('-')[0];
    const bare = available.find((l) => l.toLowerCase() === language);
    if (bare) return bare;
    const sibling = available.find((l) => l.toLowerCase().split('-')[0] === language);
    if (sibling) return sibling;
  }
  return fallback;
}

export async function loadTemplate(
  db: Db,
  templateId: string,
  version?: number,
): Promise<TemplateVersionContent | undefined> {
  const [template] = await db.select().from(templates).where(eq(templates.id, templateId));
  if (!template) return undefined;
  const wanted = version ?? template.latestVersion;
  if (wanted === null || wanted === undefined) return templateContent(template, null);
  const [row] = await db
    .select()
    .from(templateVersions)
    .where(eq(templateVersions.templateId, templateId))
    .orderBy(desc(templateVersions.version))
    .then((rows) => rows.filter((r) => r.version === wanted));
  return row ? templateContent(template, row) : undefined;
}

export type TemplateVersionRow = Pick<
  typeof templateVersions.$inferSelect,
  'version' | 'defaultLocale' | 'locales' | 'layout' | 'providerTemplateId' | 'variables'
>;

/**
 * What a send renders, from the `templates` row and its version row (`null` for a template saved
 * before versioning, whose `templates` columns are the content). The send activity reads both rows
 * in its one query (activities/send.ts) and builds the content here, as `loadTemplate` does.
 */
export function templateContent(
  template: Pick<typeof templates.$inferSelect, 'id' | 'channel' | 'subject' | 'text' | 'html'>,
  row: TemplateVersionRow | null,
): TemplateVersionContent {
  if (row === null) {
    return {
      templateId: template.id,
      channel: template.channel,
      version: null,
      defaultLocale: LEGACY_LOCALE,
      locales: {
        [LEGACY_LOCALE]: {
          subject: template.subject ?? undefined,
          text: template.text,
          html: template.html ?? undefined,
        },
      },
      layout: null,
      providerTemplateId: null,
      variables: { traits: [], event: [] },
    };
  }
  return {
    templateId: template.id,
    channel: template.channel,
    version: row.version,
    defaultLocale: row.defaultLocale,
    locales: row.locales,
    layout: row.layout,
    providerTemplateId: row.providerTemplateId,
    variables: row.variables,
  };
}

/** Every partial and layout (a small table; sends and previews read it whole). */
export async function loadPartials(db: Db, ids?: string[]) {
  const rows = ids
    ? ids.length
      ? await db.select().from(templatePartials).where(inArray(templatePartials.id, ids))
      : []
    : await db.select().from(templatePartials);
  return new Map(rows.map((r) => [r.id, { kind: r.kind, source: r.source }]));
}

export type PartialMap = Map<string, { kind: 'partial' | 'layout'; source: string }>;

export function createTemplateEngine() {
  const renderer = createRenderer();
  const hbs = renderer.handlebars;

  return {
    renderer,

    /** Renders the locale best matching `requestedLocale`; strict mode throws on a missing variable. */
    render(
      content: TemplateVersionContent,
      context: RenderContext,
      options: { requestedLocale?: string | null; timeZone: string; partials: PartialMap },
    ): RenderedMessage {
      const locale = pickLocale(Object.keys(content.locales), options.requestedLocale, content.defaultLocale);
      const parts = content.locales[locale] ?? content.locales[content.defaultLocale];
      if (!parts) throw new Error(`template ${content.templateId} has no ${content.defaultLocale} content`);
      const partials = Object.fromEntries(
        [...options.partials].filter(([, p]) => p.kind === 'partial').map(([id, p]) => [id, p.source]),
      );
      // The locale tag reaches Intl; the legacy placeholder "und" formats as the runtime default.
      const common = { locale: locale === LEGACY_LOCALE ? 'en' : locale, timeZone: options.timeZone, partials };
      const text = { ...common, escapeHtml: false };
      let html = parts.html ? renderer.render(parts.html, context, common) : undefined;
      const layout = content.layout ? options.partials.get(content.layout) : undefined;
      if (html !== undefined && content.layout) {
        if (!layout || layout.kind !== 'layout') throw new Error(`layout ${content.layout} not found`);
        html = renderer.render(layout.source, { ...context, body: new hbs.SafeString(html) }, common);
      }
      return {
        locale,
        subject: parts.subject ? renderer.render(parts.subject, context, text) : undefined,
        text: renderer.render(parts.text, context, text),
        html,
        fields: parts.fields
          ? Object.fromEntries(Object.entries(parts.fields).map(([k, src]) => [k, renderer.render(src, context, text)]))
          : undefined,
      };
    },

    /**
     * Save-time checks of one Handlebars source: parse errors with line and column, unknown
     * helpers and partials, and variables outside the known schema (`customer.<profile field or
     * declared trait>`, `event.<declared property>`, `links.<unsubscribe|preferences>`).
     * With `html`, a source rendered as HTML: unescaped output (`{{{x}}}`, `{{&x}}`) of anything the
     * product does not build itself is refused (`unescapedOutputs`: `{{{body}}}` only in a layout,
     * `{{{links.*}}}` not in a partial).
     * `path` is the JSON path reported with each issue.
     */
    check(
      source: string,
      path: string,
      known: {
        variables: TemplateVariables;
        partials: ReadonlySet<string>;
        extraRoots?: readonly string[];
        /** Unescaped product output this HTML source may print (TEMPLATE_, LAYOUT_, PARTIAL_OUTPUTS). */
        html?: ProductOutputs;
      },
    ): Issue[] {
      let ast: hbs.AST.Program;
      try {
        ast = parseWithLocation(hbs, source);
      } catch (error) {
        return [{ path, message: describeParseError(error) }];
      }
      const issues: Issue[] = [];
      const helpers = new Set<string>([...builtInHelpers, ...formattingHelpers]);
      const at = (node: hbs.AST.Node) => `line ${node.loc.start.line}, column ${node.loc.start.column + 1}`;
      const checkPath = (p: hbs.AST.PathExpression, scoped: boolean) => {
        let parts = p.parts;
        if (p.data) {
          if (parts[0] !== 'root') return; // @index, @key, @first, @last, @locale…
          parts = parts.slice(1);
        } else if (scoped || p.original === 'this' || p.original.startsWith('this.') || p.depth > 0) {
          return; // relative to an {{#each}}/{{#with}} item: its shape is not in the schema
        }
        const [root, field] = parts;
        const name = parts.join('.');
        if (root === 'customer') {
          if (
            field === undefined ||
            (profileFields as readonly string[]).includes(field) ||
            known.variables.traits.includes(field)
          )
            return;
          issues.push({
            path,
            message: `unknown variable "${name}" at ${at(p)}: customer fields are ${profileFields.join(', ')} and declared traits (${known.variables.traits.join(', ') || 'none'})`,
          });
        } else if (root === 'event') {
          if (field === undefined || known.variables.event.includes(field)) return;
          issues.push({
            path,
            message: `unknown variable "${name}" at ${at(p)}: declare event properties in variables.event (${known.variables.event.join(', ') || 'none'})`,
          });
        } else if (root === 'links') {
          if (field !== undefined && (linkNames as readonly string[]).includes(field)) return;
          issues.push({ path, message: `unknown variable "${name}" at ${at(p)}: links are ${linkNames.join(', ')}` });
        } else if (!(root !== undefined && (computedRoots.includes(root) || known.extraRoots?.includes(root)))) {
          issues.push({
            path,
            message: `unknown variable "${name}" at ${at(p)}: variables start with customer., event., links. or ${computedRoots.join(', ')}`,
          });
        }
      };
      const visitExpr = (e: hbs.AST.Expression, scoped: boolean) => {
        if (e.type === 'PathExpression') checkPath(e as hbs.AST.PathExpression, scoped);
        else if (e.type === 'SubExpression') visitCall(e as hbs.AST.SubExpression, scoped);
      };
      const visitCall = (
        node: hbs.AST.MustacheStatement | hbs.AST.SubExpression | hbs.AST.BlockStatement,
        scoped: boolean,
      ) => {
        const callee = node.path;
        const hasArgs =
          node.params.length > 0 ||
          (node.hash?.pairs.length ?? 0) > 0 ||
          node.type === 'BlockStatement' ||
          node.type === 'SubExpression';
        if (callee.type === 'PathExpression') {
          const p = callee as hbs.AST.PathExpression;
          if (hasArgs && !p.data && p.parts.length === 1 && !helpers.has(p.original))
            issues.push({ path, message: `unknown helper "${p.original}" at ${at(node)}` });
          else if (!hasArgs) checkPath(p, scoped);
        }
        for (const param of node.params) visitExpr(param, scoped);
        for (const pair of node.hash?.pairs ?? []) visitExpr(pair.value, scoped);
      };
      const visit = (program: hbs.AST.Program | undefined, scoped: boolean) => {
        for (const s of program?.body ?? []) {
          if (s.type === 'MustacheStatement') visitCall(s as hbs.AST.MustacheStatement, scoped);
          else if (s.type === 'BlockStatement') {
            const block = s as hbs.AST.BlockStatement;
            visitCall(block, scoped);
            const name = block.path.type === 'PathExpression' ? (block.path as hbs.AST.PathExpression).original : '';
            // each/with change the context for their body; if/unless do not.
            visit(block.program, scoped || name === 'each' || name === 'with');
            visit(block.inverse, scoped);
          } else if (s.type === 'PartialStatement' || s.type === 'PartialBlockStatement') {
            const partial = s as hbs.AST.PartialStatement;
            const name =
              partial.name.type === 'PathExpression' ? (partial.name as hbs.AST.PathExpression).original : '';
            if (!known.partials.has(name)) issues.push({ path, message: `unknown partial "${name}" at ${at(s)}` });
          }
        }
      };
      visit(ast, false);
      if (known.html)
        for (const raw of unescapedOutputs(ast, known.html))
          issues.push({ path, message: describeUnescapedOutput(source, raw) });
      return issues;
    },
  };
}
export type TemplateEngine = ReturnType<typeof createTemplateEngine>;

/**
 * Handlebars' own parse errors carry the position only inside their message text (an excerpt with
 * a caret), so we parse through a derived parser whose `parseError` keeps Jison's location. Block
 * mismatches ("if doesn't match each") are Handlebars exceptions with `lineNumber`/`column`.
 */
function parseWithLocation(hbs: typeof Handlebars, source: string): hbs.AST.Program {
  const base = (hbs as unknown as { Parser: { yy: unknown; parse(s: string): unknown } }).Parser;
  if (!base.yy || typeof (base.yy as { locInfo?: unknown }).locInfo !== 'function') hbs.parse(''); // installs the parser's helpers
  const parser = Object.create(base) as {
    parseError: (message: string, hash: unknown) => never;
    parse(s: string): unknown;
  };
  parser.parseError = (message, hash) => {
    throw Object.assign(new Error(message), { hash });
  };
  parser.parse(source);
  // The derived parser found no error; the real one builds the AST with whitespace control applied.
  return hbs.parse(source);
}

/** The message of a refused `{{{…}}}`: the expression as written, its position, and the fix. */
function describeUnescapedOutput(source: string, raw: UnescapedOutput): string {
  const { start, end } = raw.node.loc;
  const lines = source.split('\n');
  const written =
    start.line === end.line
      ? (lines[start.line - 1] ?? '').slice(start.column, end.column)
      : `${(lines[start.line - 1] ?? '').slice(start.column)}…`;
  return (
    `unescaped output ${written} at line ${raw.line}, column ${raw.column}: customer and event data ` +
    `(traits, properties, recommendations) may carry markup, so they print escaped ({{…}}); only a ` +
    `layout's {{{body}}} and links.* are printed unescaped`
  );
}

function describeParseError(error: unknown): string {
  const e = error as {
    message?: string;
    hash?: { loc?: { last_line: number; last_column: number }; token?: string };
    lineNumber?: number;
    column?: number;
  };
  const detail = (e.message ?? String(error)).split('\n');
  if (e.hash?.loc) {
    const expected = detail.at(-1) ?? '';
    return `parse error at line ${e.hash.loc.last_line}, column ${e.hash.loc.last_column + 1}: ${expected}`;
  }
  if (typeof e.lineNumber === 'number')
    return `compile error at line ${e.lineNumber}, column ${(e.column ?? 0) + 1}: ${(detail[0] ?? '').replace(/ - \d+:\d+$/, '')}`;
  return `compile error: ${detail[0] ?? ''}`;
}

/** What templates see: `customer` (traits, then profile fields), `event` (entry event properties), `links`. */
export function renderContext(
  customer: {
    id: string;
    traits: Record<string, unknown>;
    tags: string[];
    aiplStage: string | null;
    locale: string | null;
  },
  timeZone: string,
  event: Record<string, unknown>,
  links: Partial<Record<(typeof linkNames)[number], string>>,
): RenderContext {
  return {
    customer: {
      ...customer.traits,
      id: customer.id,
      tags: customer.tags,
      aiplStage: customer.aiplStage,
      locale: customer.locale,
      timeZone,
    },
    event,
    links,
  };
}
