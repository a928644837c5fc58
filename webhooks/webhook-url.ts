/**
 * A webhook URL as the delivery log and the server log show it: a password in
 * the URL and every query value are replaced by `***`, since receivers often
 * take a token there (`https://hooks.example/x?token=…`). Anything that does
 * not parse is shown as `(invalid URL)`.
 */
export function displayWebhookUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '(invalid URL)';
  }
  if (u.password) u.password = '***';
  const keys = [...new Set(u.searchParams.keys())];
  if (!keys.length) return u.toString();
  const query = keys.map((k) => `${encodeURIComponent(k)}=***`).join('&');
  return `${u.origin.replace('://', `://${u.username ? `${u.username}${u.password ? ':***' : ''}@` : ''}`)}${u.pathname}?${query}${u.hash}`;
}
