/**
 * Logging in to the dashboard with fetch, as a browser would: the form's token, its cookie, the
 * session cookie. `headers` go with both requests (what a reverse proxy adds, say). `setCookie` is
 * the session cookie as the gateway set it, attributes included.
 */
export async function logInWithFetch(url: string, key: string, headers: Record<string, string> = {}): Promise<{ status: number; cookie: string | undefined; csrf: string | undefined; setCookie: string | undefined; retryAfter: string | null }> {
  const form = await fetch(`${url}/dashboard/login`, { headers });
  const token = /name="token" value="([^"]+)"/.exec(await form.text())![1]!;
  const loginCookie = form.headers.getSetCookie()[0]!.split(';')[0]!;
  const answer = await fetch(`${url}/dashboard/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...headers, cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, key, next: '/dashboard' }),
  });
  const setCookie = answer.headers.getSetCookie().find((c) => c.startsWith('llm_gateway_session='));
  const cookie = setCookie?.split(';')[0];
  let csrf: string | undefined;
  if (cookie) {
    const page = await (await fetch(`${url}/dashboard/config`, { headers: { cookie } })).text();
    csrf = /"x-csrf-token": "([^"]+)"/.exec(page)?.[1];
  }
  return { status: answer.status, cookie, csrf, setCookie, retryAfter: answer.headers.get('retry-after') };
}
