/** Public links in messages and provider callbacks (api/tracking.ts): pages, a pixel, a redirect, JSON. */
import { z } from 'zod';
import { apiError, mediaResponse, noContent } from './common';

export const page = (description: string) => mediaResponse(description, 'text/html');

/** A link that is not valid: a page for browsers (Accept: text/html), the JSON error for the rest. */
export const linkNotValid = {
  description: 'the link is not valid (altered, for another purpose, or for another customer)',
  content: { 'application/json': { schema: apiError }, 'text/html': { schema: z.string() } },
};

export const pixel = {
  description: 'a 1×1 transparent GIF, whatever the token',
  content: { 'image/gif': { schema: z.instanceof(Uint8Array).meta({ type: 'string', format: 'binary' }) } },
};
export const redirect = noContent.describe('to the URL, which the message contained');

export const providerEventAccepted = z
  .strictObject({
    accepted: z.literal(true),
    event: z.string().describe('the event recorded: message_delivered, message_bounced or message_complained'),
    suppressed: z.boolean().describe('the address is now suppressed (hard bounce, complaint)'),
  })
  .describe('recorded');
