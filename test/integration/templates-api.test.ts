/**
 * Template admin routes through Fastify's `inject()` on a real Postgres: versions, save-time
 * validation (line/column, unknown variables, helpers, partials), partials/layouts and preview.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { customers, journeys, journeyVersions, templates } from '../../drizzle/schema';
import { eq } from 'drizzle-orm';
import type { JourneyDefinition } from '../../domain/journey/definition';
import { connectDevServer, createTestDatabase } from '../setup/harness';

const ADMIN_KEY = 'templates-test-admin-key-0123456789';
const AUTH = { authorization: `Bearer ${ADMIN_KEY}` };

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let app: FastifyInstance;

beforeAll(async () => {
  [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  app = await buildApp({ db: db.db, temporal: temporal.client, taskQueue: 'templates-test', adminApiKey: ADMIN_KEY });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await temporal?.close();
  await db?.close();
});

interface Issue {
  path: string;
  message: string;
}

const put = (id: string, payload: unknown) =>
  app.inject({ method: 'PUT', url: `/v1/templates/${id}`, headers: AUTH, payload: payload as object });
const issuesOf = (res: { json(): unknown }) => (res.json() as { issues: Issue[] }).issues;

const welcome = {
  channel: 'email',
  defaultLocale: 'en',
  variables: { traits: ['firstName', 'model'], event: ['total'] },
  locales: {
    en: {
      subject: 'Welcome, {{customer.firstName}}',
      text: 'Your {{customer.model}} costs {{currency event.total "CNY"}}.',
      html: '<p>Hi {{customer.firstName}}</p>',
    },
    'zh-CN': {
      subject: '欢迎，{{customer.firstName}}',
      text: '您的{{customer.model}}价格{{currency event.total "CNY"}}。',
      html: '<p>您好 {{customer.firstName}}</p>',
    },
  },
};

describe('saving versions', () => {
  it('creates version 1 (201), a second save makes version 2 (200), and both stay readable', async () => {
    const created = await put('welcome', welcome);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: 'welcome', version: 1 });

    const changed = {
      ...welcome,
      locales: { ...welcome.locales, en: { ...welcome.locales.en, subject: 'Hello, {{customer.firstName}}' } },
    };
    const second = await put('welcome', changed);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ id: 'welcome', version: 2, template: { version: 2, defaultLocale: 'en' } });

    const versions = await app.inject({ url: '/v1/templates/welcome/versions', headers: AUTH });
    expect((versions.json() as { versions: { version: number }[] }).versions.map((v) => v.version)).toEqual([2, 1]);
    const v1 = await app.inject({ url: '/v1/templates/welcome/versions/1', headers: AUTH });
    expect(v1.json()).toMatchObject({
      template: { version: 1, locales: { en: { subject: 'Welcome, {{customer.firstName}}' } } },
    });
    // Journeys keep referencing the id: the `templates` row carries the latest default-locale content.
    const [row] = await db.db.select().from(templates).where(eq(templates.id, 'welcome'));
    expect(row).toMatchObject({ channel: 'email', subject: 'Hello, {{customer.firstName}}', latestVersion: 2 });
    const got = await app.inject({ url: '/v1/templates/welcome', headers: AUTH });
    expect(got.json()).toMatchObject({ template: { version: 2 }, versions: [{ version: 2 }, { version: 1 }] });
  });

  it('refuses to change the channel of an existing template', async () => {
    await put('receipt', { ...welcome, channel: 'email' });
    const res = await put('receipt', { channel: 'sms', defaultLocale: 'en', locales: { en: { text: 'hi' } } });
    expect(res.statusCode).toBe(400);
    expect(issuesOf(res)).toEqual([{ path: '$.body.channel', message: expect.stringMatching(/is a email template/) }]);
  });

  it('needs the admin key', async () => {
    expect((await app.inject({ method: 'PUT', url: '/v1/templates/x', payload: welcome })).statusCode).toBe(401);
  });
});

describe('validation at save time', () => {
  // Columns are 1-based and point at the offending token (the variable's name, not its braces).
  it('reports a parse error with its line and column', async () => {
    const res = await put('broken', {
      ...welcome,
      locales: { en: { ...welcome.locales.en, html: '<p>\nHi {{customer.firstName}</p>' } },
    });
    expect(res.statusCode).toBe(400);
    expect(issuesOf(res)).toEqual([
      {
        path: '$.body.locales.en.html',
        message: expect.stringMatching(/^parse error at line 2, column 24: Expecting/),
      },
    ]);
  });

  it('reports a block mismatch with its line and column', async () => {
    const res = await put('broken', {
      ...welcome,
      locales: { en: { ...welcome.locales.en, text: 'a\n  {{#if customer.firstName}}x{{/each}}' } },
    });
    expect(res.statusCode).toBe(400);
    expect(issuesOf(res)).toEqual([
      { path: '$.body.locales.en.text', message: "compile error at line 2, column 6: if doesn't match each" },
    ]);
  });

  it('reports unknown variables, helpers and partials against the variable schema, per locale and part', async () => {
    const res = await put('unknowns', {
      ...welcome,
      locales: {
        en: {
          subject: 'Hi {{customer.nickname}}',
          text: '{{event.coupon}} {{links.track}} {{order.id}}',
          html: '{{shout customer.firstName}} {{> footer}}',
        },
        'zh-CN': welcome.locales['zh-CN'],
      },
    });
    expect(res.statusCode).toBe(400);
    expect(issuesOf(res)).toEqual([
      {
        path: '$.body.locales.en.subject',
        message: expect.stringMatching(
          /^unknown variable "customer\.nickname" at line 1, column 6: .*declared traits \(firstName, model\)/,
        ),
      },
      {
        path: '$.body.locales.en.text',
        message: expect.stringMatching(
          /^unknown variable "event\.coupon" at line 1, column 3: declare event properties/,
        ),
      },
      {
        path: '$.body.locales.en.text',
        message: expect.stringMatching(
          /^unknown variable "links\.track" at line 1, column 20: links are unsubscribe, preferences/,
        ),
      },
      {
        path: '$.body.locales.en.text',
        message: expect.stringMatching(/^unknown variable "order\.id" at line 1, column 36/),
      },
      { path: '$.body.locales.en.html', message: 'unknown helper "shout" at line 1, column 1' },
      { path: '$.body.locales.en.html', message: 'unknown partial "footer" at line 1, column 30' },
    ]);
    expect((await app.inject({ url: '/v1/templates/unknowns', headers: AUTH })).statusCode).toBe(404);
  });

  it('accepts profile fields, declared traits, links, helpers, @root inside each, and known partials and layouts', async () => {
    expect(
      (
        await app.inject({
          method: 'PUT',
          url: '/v1/template-partials/footer',
          headers: AUTH,
          payload: { kind: 'partial', source: '<a href="{{links.preferences}}">Preferences</a>' },
        })
      ).statusCode,
    ).toBe(201);
    expect(
      (
        await app.inject({
          method: 'PUT',
          url: '/v1/template-partials/brand',
          headers: AUTH,
          payload: { kind: 'layout', source: '<div>{{{body}}}</div>' },
        })
      ).statusCode,
    ).toBe(201);
    const res = await put('rich', {
      ...welcome,
      layout: 'brand',
      locales: {
        en: {
          subject: '{{plural event.total one="# yuan" other="# yuan"}}',
          text: '{{#each customer.tags}}{{this}} {{@index}} {{@root.customer.firstName}}{{/each}} {{customer.aiplStage}} {{links.unsubscribe}}',
          html: '{{#if customer.model}}<p>{{customer.model}}</p>{{/if}}{{> footer}}',
        },
      },
    });
    expect(res.statusCode).toBe(201);
  });

  it('refuses unescaped output of customer and event data (400 with the path and position) and stores nothing', async () => {
    const res = await put('raw-html', {
      ...welcome,
      locales: { ...welcome.locales, en: { ...welcome.locales.en, html: '<p>Hi {{{customer.firstName}}}</p>' } },
    });
    expect(res.statusCode).toBe(400);
    expect(issuesOf(res)).toEqual([
      {
        path: '$.body.locales.en.html',
        message: expect.stringMatching(/^unescaped output \{\{\{customer\.firstName\}\}\} at line 1, column 7:/),
      },
    ]);
    expect((await app.inject({ url: '/v1/templates/raw-html', headers: AUTH })).statusCode).toBe(404);

    const partial = await app.inject({
      method: 'PUT',
      url: '/v1/template-partials/raw-sig',
      headers: AUTH,
      payload: { kind: 'partial', source: '<p>{{&event.total}}</p>' },
    });
    expect(partial.statusCode).toBe(400);
    expect(issuesOf(partial)).toEqual([
      {
        path: '$.body.source',
        message: expect.stringMatching(/^unescaped output \{\{&event\.total\}\} at line 1, column 4/),
      },
    ]);
    const layout = await app.inject({
      method: 'PUT',
      url: '/v1/template-partials/raw-layout',
      headers: AUTH,
      payload: { kind: 'layout', source: '<div>{{{body}}}</div><p>{{{customer.firstName}}}</p>' },
    });
    expect(layout.statusCode).toBe(400);
    expect(issuesOf(layout).map((i) => i.message.split(':')[0])).toEqual([
      'unescaped output {{{customer.firstName}}} at line 1, column 25',
    ]);
    const partials = (await app.inject({ url: '/v1/template-partials', headers: AUTH })).json<{
      partials: { id: string }[];
    }>().partials;
    expect(partials.map((p) => p.id)).not.toContain('raw-sig');
    expect(partials.map((p) => p.id)).not.toContain('raw-layout');

    const draft = await app.inject({
      method: 'POST',
      url: '/v1/template-previews',
      headers: AUTH,
      payload: {
        template: { ...welcome, locales: { en: { ...welcome.locales.en, html: '{{&customer.model}}' } } },
        sample: { traits: { firstName: 'Ann', model: '<b>X</b>' } },
        event: { total: 5 },
      },
    });
    expect(draft.json<{ issues: Issue[] }>().issues).toEqual([
      {
        path: '$.body.template.locales.en.html',
        message: expect.stringMatching(/^unescaped output \{\{&customer\.model\}\} at line 1, column 1/),
      },
    ]);
  });

  it('answers every malformed body with 400 and JSON paths, never 500', async () => {
    const cases: [unknown, string][] = [
      [{ ...welcome, locales: { en: { subject: 's' } } }, '$.body.locales.en.text'],
      [{ ...welcome, channel: 'fax' }, '$.body.channel'],
      [{ ...welcome, defaultLocale: 'fr' }, '$.body.defaultLocale'],
      [{ ...welcome, locales: { en: { text: 'no subject' } } }, '$.body.locales.en.subject'],
      [{ ...welcome, layout: 'nope' }, '$.body.layout'],
      [{ ...welcome, extra: 1 }, '$.body'],
      [{ channel: 'wechat', defaultLocale: 'zh-CN', locales: { 'zh-CN': { text: 'x' } } }, '$.body.providerTemplateId'],
      [{ ...welcome, locales: {} }, '$.body.locales'],
      [{ ...welcome, variables: { traits: ['has space'] } }, '$.body.variables.traits[0]'],
    ];
    for (const [payload, path] of cases) {
      const res = await put('bad', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(issuesOf(res).map((i) => i.path)).toContain(path);
    }
    const badJson = await app.inject({
      method: 'PUT',
      url: '/v1/templates/bad',
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: '{"channel":',
    });
    expect(badJson.statusCode).toBe(400);
    const badId = await put('Bad Id!', welcome);
    expect(badId.statusCode).toBe(400);
    expect(issuesOf(badId)[0]?.path).toBe('$.params.id');
    const badPartial = await app.inject({
      method: 'PUT',
      url: '/v1/template-partials/x',
      headers: AUTH,
      payload: { kind: 'layout', source: '<div>{{body</div>' },
    });
    expect(badPartial.statusCode).toBe(400);
    expect(issuesOf(badPartial)[0]).toEqual({
      path: '$.body.source',
      message: expect.stringMatching(/^parse error at line 1, column \d+/),
    });
  });
});

describe('preview', () => {
  it('renders a stored zh-CN customer in their zone and a sample en customer, and any locale on request', async () => {
    const [customer] = await db.db
      .insert(customers)
      .values({ traits: { firstName: '林', model: 'AquaPure 5' }, locale: 'zh-CN', timeZone: 'Asia/Shanghai' })
      .returning();
    const stored = await app.inject({
      method: 'POST',
      url: '/v1/templates/welcome/preview',
      headers: AUTH,
      payload: { customerId: customer!.id, event: { total: 1299 } },
    });
    expect(stored.statusCode).toBe(200);
    expect(stored.json()).toEqual({
      templateId: 'welcome',
      version: 2,
      locale: 'zh-CN',
      subject: '欢迎，林',
      text: '您的AquaPure 5价格¥1,299.00。',
      html: '<p>您好 林</p>',
    });

    const sample = await app.inject({
      method: 'POST',
      url: '/v1/templates/welcome/preview',
      headers: AUTH,
      payload: { sample: { traits: { firstName: 'Ann', model: 'X' }, locale: 'en-US' }, event: { total: 5 } },
    });
    expect(sample.json()).toMatchObject({ locale: 'en', subject: 'Hello, Ann', text: 'Your X costs CN¥5.00.' });

    const v1 = await app.inject({
      method: 'POST',
      url: '/v1/templates/welcome/preview',
      headers: AUTH,
      payload: { version: 1, locale: 'en', sample: { traits: { firstName: 'Ann', model: 'X' } }, event: { total: 5 } },
    });
    expect(v1.json()).toMatchObject({ version: 1, subject: 'Welcome, Ann' });
  });

  it('answers a customer lacking a variable, an unknown customer and a bad body with 4xx', async () => {
    const missing = await app.inject({
      method: 'POST',
      url: '/v1/templates/welcome/preview',
      headers: AUTH,
      payload: { sample: { traits: { firstName: 'Ann' } }, event: { total: 5 } },
    });
    expect(missing.statusCode).toBe(400);
    expect(issuesOf(missing)).toEqual([
      { path: '$.body', message: expect.stringMatching(/render failed: "model" not defined/) },
    ]);
    const unknown = await app.inject({
      method: 'POST',
      url: '/v1/templates/welcome/preview',
      headers: AUTH,
      payload: { customerId: randomUUID() },
    });
    expect(unknown.statusCode).toBe(404);
    const both = await app.inject({ method: 'POST', url: '/v1/templates/welcome/preview', headers: AUTH, payload: {} });
    expect(both.statusCode).toBe(400);
    expect(issuesOf(both)[0]?.path).toBe('$.body');
  });
});

describe('live preview of an unsaved template (POST /v1/template-previews)', () => {
  const draftPreview = (payload: unknown) =>
    app.inject({ method: 'POST', url: '/v1/template-previews', headers: AUTH, payload: payload as object });
  interface DraftAnswer {
    issues: Issue[];
    previews: ({ locale: string; subject?: string; text: string } | { locale: string; error: string })[];
  }

  it('renders every locale of the draft for a sample or stored customer, and saves nothing', async () => {
    const sample = await draftPreview({
      template: welcome,
      sample: { traits: { firstName: 'Ann', model: 'X' } },
      event: { total: 5 },
    });
    expect(sample.statusCode).toBe(200);
    expect(sample.json<DraftAnswer>()).toEqual({
      issues: [],
      previews: [
        { locale: 'en', subject: 'Welcome, Ann', text: 'Your X costs CN¥5.00.', html: '<p>Hi Ann</p>' },
        { locale: 'zh-CN', subject: '欢迎，Ann', text: '您的X价格¥5.00。', html: '<p>您好 Ann</p>' },
      ],
    });
    const [customer] = await db.db
      .insert(customers)
      .values({ traits: { firstName: '林', model: 'AquaPure 5' }, locale: 'zh-CN' })
      .returning();
    const stored = await draftPreview({ template: welcome, customerId: customer!.id, event: { total: 1299 } });
    expect(stored.json<DraftAnswer>().previews.map((p) => ('subject' in p ? p.subject : p))).toEqual([
      'Welcome, 林',
      '欢迎，林',
    ]);
    expect(await db.db.select().from(templates).where(eq(templates.id, 'preview'))).toEqual([]);
  });

  it('answers the problems of the draft as issues at their paths per locale (200), rendering the locales that still render', async () => {
    const draft = {
      ...welcome,
      defaultLocale: 'fr',
      locales: {
        en: { ...welcome.locales.en, subject: 'Hi {{customer.nickname}}' },
        'zh-CN': { ...welcome.locales['zh-CN'], text: '{{#if customer.model}}未闭合' },
      },
    };
    const res = await draftPreview({
      template: draft,
      sample: { traits: { firstName: 'Ann', model: 'X', nickname: 'A' } },
      event: { total: 5 },
    });
    expect(res.statusCode).toBe(200);
    const answer = res.json<DraftAnswer>();
    expect(answer.issues.map((i) => i.path).sort()).toEqual([
      '$.body.template.defaultLocale',
      '$.body.template.locales.en.subject',
      '$.body.template.locales.zh-CN.text',
    ]);
    expect(answer.issues.find((i) => i.path.endsWith('zh-CN.text'))?.message).toMatch(/^parse error at line 1/);
    expect(answer.previews[0]).toMatchObject({ locale: 'en', subject: 'Hi A' });
    expect(answer.previews[1]).toEqual({ locale: 'zh-CN', error: expect.stringMatching(/^render failed: /) });

    // A sample lacking a variable: that locale's preview says so.
    const lacking = await draftPreview({
      template: welcome,
      sample: { traits: { firstName: 'Ann' } },
      event: { total: 5 },
    });
    expect(lacking.json<DraftAnswer>().previews).toEqual([
      { locale: 'en', error: expect.stringContaining('"model" not defined') },
      { locale: 'zh-CN', error: expect.stringContaining('"model" not defined') },
    ]);
  });

  it('answers a body that is not a template with issues under $.body.template, and bad requests with 400/404', async () => {
    const shapeless = await draftPreview({
      template: { channel: 'fax', defaultLocale: 'en_US', locales: { en: { text: '' } } },
      sample: {},
    });
    expect(shapeless.statusCode).toBe(200);
    expect(shapeless.json<DraftAnswer>()).toEqual({
      issues: expect.arrayContaining([
        { path: '$.body.template.channel', message: expect.any(String) },
        { path: '$.body.template.defaultLocale', message: 'a BCP 47 tag such as en or zh-CN' },
        { path: '$.body.template.locales.en.text', message: 'must not be empty' },
      ]),
      previews: [],
    });
    const noTemplate = await draftPreview({ sample: {} });
    expect(noTemplate.statusCode).toBe(400);
    expect(issuesOf(noTemplate).map((i) => i.path)).toContain('$.body.template');
    const neither = await draftPreview({ template: welcome });
    expect(neither.statusCode).toBe(400);
    const unknown = await draftPreview({ template: welcome, customerId: randomUUID() });
    expect(unknown.statusCode).toBe(404);
    const noKey = await app.inject({
      method: 'POST',
      url: '/v1/template-previews',
      payload: { template: welcome, sample: {} },
    });
    expect(noKey.statusCode).toBe(401);
  });
});

describe('deleting', () => {
  it('refuses while a published journey sends the template, deletes it otherwise', async () => {
    await put('in-use', welcome);
    const definition = {
      name: 'x',
      entry: { type: 'api' },
      start: 's',
      steps: {
        s: { type: 'send', channel: 'email', template: 'in-use', kind: 'marketing', next: 'e' },
        e: { type: 'exit', reason: 'done' },
      },
    } as unknown as JourneyDefinition;
    await db.db
      .insert(journeys)
      .values({ id: 'uses-template', name: 'x', draft: definition, status: 'published', latestVersion: 1 });
    await db.db.insert(journeyVersions).values({ journeyId: 'uses-template', version: 1, definition });
    const refused = await app.inject({ method: 'DELETE', url: '/v1/templates/in-use', headers: AUTH });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ message: expect.stringMatching(/uses-template/) });
    const deleted = await app.inject({ method: 'DELETE', url: '/v1/templates/receipt', headers: AUTH });
    expect(deleted.statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/templates/receipt', headers: AUTH })).statusCode).toBe(404);
  });
});
