/** The username of `Authorization: Basic base64(user:password)`; '' for anything else. */
export function basicUsername(header: string | undefined): string {
  const match = /^basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return '';
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? decoded : decoded.slice(0, colon);
}
